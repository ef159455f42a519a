"""Rasa's own validation of the training and prediction graphs, with the speed-ups installed (as
they are whenever config.yml's components are imported): `rasa train` runs it first, and a patched
run function whose signature Rasa reads differently stops every training from scratch — which a
warm training cache hides. Here without training anything."""
import rasa.engine.validation
from rasa.engine.recipes.recipe import Recipe
from rasa.shared.data import TrainingType
from rasa.shared.importers.importer import TrainingDataImporter

import bot.rasa_plugins  # noqa: F401  (installs the speed-ups, as importing any of config.yml's components does)
from bot.paths import ROOT
from bot.rasa_plugins import speedups


def test_rasa_validates_our_graphs_with_the_speedups_installed():
    assert speedups.install()
    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"), domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "data")])
    config = importer.get_config()
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    config, _, _ = recipe.auto_configure(importer.get_config_file_for_auto_config(), config, TrainingType.BOTH)
    rasa.engine.validation.validate(recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.BOTH))
