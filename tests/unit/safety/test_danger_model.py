"""The danger classifier (bot/safety/danger_model.py) and how the safety screen uses it."""
from __future__ import annotations

import zlib

import numpy as np
import pytest
import yaml
from scipy.sparse import csr_matrix

from bot.safety.danger_model import MIN_THRESHOLD, DangerModel, choose_threshold
from bot.rasa_plugins import nlu_danger
from bot.rasa_plugins.nlu_danger import TRAINING_FILE, ordinary_stories, training_sentences
from bot.rasa_plugins.nlu_safety import SAFETY_INTENT, override
from bot.safety.screen import CATEGORIES

from bot.language.answers import normalise
from bot.paths import ROOT

DANGERS = [
    ("j'ai écrit une lettre d'adieu à mes enfants", ("suicide",)),
    ("je ne serai bientôt plus là pour personne", ("suicide",)),
    ("il m'oblige à coucher avec lui quand il a bu", ("domestic",)),
    ("mon conjoint me force à avoir des rapports", ("domestic",)),
    ("le copain de ma mère touche ma petite soeur le soir", ("child",)),
    ("il a laissé des marques sur les bras de mon fils", ("child", "violence")),
] * 4
ORDINARY = [
    "mon voisin fait du bruit la nuit", "ma banque refuse de me rembourser", "mon ex ne paie pas la pension",
    "la mairie refuse mon permis de construire", "mon employeur ne paie pas mes heures", "bonjour", "oui", "non merci",
    "je ne sais pas", "je veux parler à quelqu'un", "combien ça coûte", "mon colis n'est jamais arrivé",
] * 4


@pytest.fixture(scope="module")
def model():
    return DangerModel.fit(DANGERS, ORDINARY)


def test_danger_said_without_a_keyword_passes_the_threshold_and_ordinary_words_do_not(model):
    assert model.assess("j'ai écrit une lettre d'adieu")[1] != ()
    assert model.assess("mon voisin fait du bruit le soir")[1] == ()


def test_categories_follow_the_sentences_it_learnt(model):
    assert "suicide" in model.assess("j'ai écrit une lettre d'adieu à mes enfants")[1]
    assert set(model.assess("mon conjoint me force à avoir des rapports")[1]) <= set(CATEGORIES)


def test_the_threshold_is_the_lowest_that_keeps_false_alarms_under_one_percent():
    labels = np.array([1] * 10 + [0] * 200)
    scores = np.concatenate([np.linspace(0.5, 1, 10), np.linspace(0, 0.9, 200)])
    threshold = choose_threshold(labels, scores)
    assert ((scores[labels == 0] >= threshold).mean()) <= 0.01
    assert ((scores[labels == 0] >= threshold - 0.01).mean()) > 0.005  # and no higher than it needs to be


def test_the_threshold_never_falls_to_a_coin_toss():
    labels = np.array([1, 1, 0, 0])
    assert choose_threshold(labels, np.array([0.9, 0.8, 0.0, 0.0])) == MIN_THRESHOLD


def test_the_stored_arrays_give_the_same_answers(model):
    again = DangerModel.from_arrays(model.to_arrays())
    for text in ("j'ai écrit une lettre d'adieu", "bonjour", "il m'oblige à coucher avec lui"):
        assert again.assess(text) == model.assess(text)


def test_the_safety_screen_fires_on_the_classifier_with_its_categories():
    parse = {"intent": {"name": "situation_family", "confidence": 0.9},
             "intent_ranking": [{"name": "situation_family", "confidence": 0.9}]}
    fired = override(parse, "il m'oblige à des choses que je ne veux pas", danger={"probability": 0.9,
                                                                                     "categories": ["domestic"]})
    assert fired["intent"]["name"] == SAFETY_INTENT and fired["safety"] == ["domestic"]
    assert [e["name"] for e in fired["intent_ranking"]][1] == "situation_family"
    calm = override(parse, "mon ex ne paie pas", danger={"probability": 0.2, "categories": []})
    assert calm["intent"]["name"] == "situation_family" and calm["safety"] == []


def _nlu_examples() -> list[str]:
    """Every example of data/nlu: the danger model learns its ordinary messages from them too."""
    texts = []
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            texts += [line.strip()[2:] for line in (block.get("examples") or "").splitlines()
                      if line.strip().startswith("- ")]
    return texts


def test_the_training_file_is_well_formed_and_shares_no_sentence_with_any_test_set():
    dangers, not_dangers = training_sentences()
    assert len(dangers) >= 150 and len(not_dangers) >= 100
    assert all(categories and set(categories) <= set(CATEGORIES) for _, categories in dangers)
    # Compared without case nor accents, against both places the danger screen learns from.
    training = {normalise(text) for text in [text for text, _ in dangers] + not_dangers + _nlu_examples()}
    safety_sets = sorted((ROOT / "tests" / "safety").glob("*.yml"))
    assert len(safety_sets) >= 7
    for path in safety_sets:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        tested = [entry["text"] if isinstance(entry, dict) else entry
                  for key in ("hits", "near_misses") for entry in data.get(key) or []]
        assert tested and not training & {normalise(text) for text in tested}, path.name
    assert TRAINING_FILE.parent == ROOT / "bot" / "safety"  # beside the screen, not in data/nlu


class _TwoMeanings:
    """A toy vocabulary: words of harm share one direction, everyday words another."""

    HARM = {"adieu", "lettre", "oblige", "force", "touche", "marques", "disparaitre", "partir", "contraint"}

    def has_vector(self, word):
        return True

    def get_vector(self, word):
        vector = np.zeros(300)
        vector[0 if word in self.HARM else 1 + zlib.crc32(word.encode()) % 299] = 1.0
        return vector


def test_word_vectors_carry_the_meaning_to_words_it_never_saw():
    vocab = _TwoMeanings()
    with_vectors = DangerModel.fit(DANGERS, ORDINARY, vocab)
    without = DangerModel.fit(DANGERS, ORDINARY)
    unseen = "je veux disparaitre, partir, contraint"  # none of these words is in the training sentences
    assert with_vectors.probability(unseen, vocab) > without.probability(unseen) + 0.1
    assert with_vectors.assess("mon voisin fait du bruit le soir", vocab)[1] == ()


def test_the_situation_models_stories_are_ordinary_messages_unless_the_lexicon_calls_them_danger(monkeypatch):
    monkeypatch.setattr(nlu_danger, "own_sentences", lambda *files: [
        ("le père de mes filles ne les prend plus le week-end", "situation_family"),
        ("mon voisin m'a menacé avec un couteau", "situation_neighbourhood"),
        ("la DRH ne répond plus à mes mails", "situation_workplace")])
    assert ordinary_stories() == ["le père de mes filles ne les prend plus le week-end", "la DRH ne répond plus à mes mails"]


def test_the_real_stories_come_from_the_situation_models_file_and_not_its_long_tail():
    from bot.rasa_plugins.nlu_situation_model import LONG_TAIL_FILE, TRAINING_FILE as SITUATION_FILE
    own = {text for text, _ in nlu_danger.own_sentences((SITUATION_FILE,))}
    long_tail = {text for text, _ in nlu_danger.own_sentences((LONG_TAIL_FILE,))}
    stories = ordinary_stories()
    assert len(stories) > 1000 and set(stories) <= own
    assert len(long_tail) > 500 and not long_tail & set(stories)


def test_training_gives_the_stories_to_the_model_as_ordinary_messages(monkeypatch, tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    seen = {}
    monkeypatch.setattr(nlu_danger, "ordinary_stories", lambda: ["la DRH ne répond plus à mes mails"])
    monkeypatch.setattr(nlu_danger, "training_sentences", lambda: (DANGERS, []))
    monkeypatch.setattr(nlu_danger.DangerModel, "fit", classmethod(
        lambda cls, dangers, ordinary, vocab=None: seen.update(ordinary=ordinary) or DangerModel(
            csr_matrix(np.zeros((1, 1))), np.zeros(1), 0.5)))
    monkeypatch.setattr(nlu_danger, "write_arrays", lambda *args: None)

    class NoVectors:
        class model:
            vocab = None

    component = nlu_danger.DangerClassifier(LocalModelStorage(tmp_path / "m"), Resource("danger"))
    component.train(TrainingData(training_examples=[Message(data={"text": "bonjour", "intent": "greet"})]), NoVectors)
    assert seen["ordinary"] == ["bonjour", "la DRH ne répond plus à mes mails"]


def test_the_classifier_alone_does_not_decide_on_one_or_two_words():
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.4},
             "intent_ranking": [{"name": "ask_human", "confidence": 0.3}]}
    sure = {"probability": 0.9998, "categories": ["danger", "suicide"]}
    assert override(parse, "attendez", danger=sure)["intent"]["name"] != SAFETY_INTENT
    assert override(parse, "laissez tomber", danger=sure)["safety"] == []
    # Three words: the classifier decides again; the lexicon decides at any length.
    assert override(parse, "il me suit", danger=sure)["intent"]["name"] == SAFETY_INTENT
    assert override(parse, "au secours", danger=None)["intent"]["name"] == SAFETY_INTENT
