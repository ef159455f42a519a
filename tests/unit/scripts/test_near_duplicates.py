"""scripts/bench/near_duplicates.py: close sentences are removed, others kept, whatever the file's kind."""
import yaml

from scripts.bench import near_duplicates

AGAINST = {"nlu": [{"intent": "situation_family", "examples": "- Mon ex refuse de me rendre les enfants après les vacances.\n"}],
           "near_misses": [{"text": "Ce dossier de succession me tue depuis trois ans."}]}


def test_a_sentence_close_to_a_reference_is_removed_and_a_new_one_kept():
    reference = near_duplicates.Reference(near_duplicates.sentences(AGAINST))
    assert reference.is_close("mon ex refuse de me rendre les enfants après les vacances de Noël")
    assert not reference.is_close("Mon voisin taille sa haie à six heures du matin.")


def test_every_kind_of_file_is_filtered_and_keeps_its_shape(tmp_path):
    new = {"nlu": [{"intent": "situation_family",
                    "examples": "- Mon ex refuse de me rendre les enfants après les vacances !\n- Divorce : désaccord sur la maison.\n"}],
           "dangers": [{"text": "Ce dossier de succession me tue depuis trois ans", "categories": ["danger"]},
                       {"text": "Il a pris mon passeport et il me surveille.", "categories": ["domestic"]}],
           "not_dangers": ["Le garagiste m'a assassiné sur les prix."]}
    (tmp_path / "new.yml").write_text(yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    (tmp_path / "against.yml").write_text(yaml.safe_dump(AGAINST, allow_unicode=True), encoding="utf-8")
    near_duplicates.main([str(tmp_path / "new.yml"), str(tmp_path / "out.yml"), str(tmp_path / "against.yml")])
    out = yaml.safe_load((tmp_path / "out.yml").read_text(encoding="utf-8"))
    assert out["nlu"][0]["examples"] == "- Divorce : désaccord sur la maison.\n"
    assert out["dangers"] == [{"text": "Il a pris mon passeport et il me surveille.", "categories": ["domestic"]}]
    assert out["not_dangers"] == ["Le garagiste m'a assassiné sur les prix."]
