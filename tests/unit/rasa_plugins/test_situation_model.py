"""Which situation: DIET's situation mass re-shared by bot/rasa_plugins/nlu_situation_model.py."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB

from bot.rasa_plugins import nlu_situation_model as situation_model
from bot.rasa_plugins.nlu_situation_model import SituationModel, reshare

TEXTS = {
    "situation_workplace": ["mon employeur ne paie pas mes heures", "licencié sans raison par mon patron",
                            "conflit avec ma cheffe au bureau", "ma prime a disparu, mon employeur refuse"],
    "situation_consumer": ["mon colis n'est jamais arrivé", "le vendeur refuse de rembourser",
                           "le SAV ne répond pas pour ma machine", "l'artisan a mal fait les travaux"],
    "situation_neighbourhood": ["mon voisin fait du bruit la nuit", "la haie du voisin est trop haute",
                                "le chien des voisins aboie", "dispute de parking avec le voisin"],
}


@pytest.fixture(scope="module")
def model():
    texts = [t for ts in TEXTS.values() for t in ts]
    labels = [label for label, ts in TEXTS.items() for _ in ts]
    return SituationModel.fit(texts, labels)


def test_it_tells_the_domains_apart_on_new_words(model):
    probabilities = model.probabilities("mon employeur a supprimé ma prime")
    assert max(probabilities, key=probabilities.get) == "situation_workplace"
    assert abs(sum(probabilities.values()) - 1.0) < 1e-9


def test_the_stored_arrays_give_the_same_answers(model):
    again = SituationModel.from_arrays(model.to_arrays())
    assert again.probabilities("le voisin fait la fête") == pytest.approx(model.probabilities("le voisin fait la fête"))


def test_the_answer_is_the_regression_and_naive_bayes_mix_of_sklearn(model):
    # The stored naive Bayes (default plus deviations) must give exactly sklearn's probabilities,
    # also on a sentence full of n-grams never seen in training.
    texts = [t for ts in TEXTS.values() for t in ts]
    labels = [label for label, ts in TEXTS.items() for _ in ts]
    features = situation_model._tf_idf(situation_model._counts(texts), model.idf)
    regression = LogisticRegression(C=30.0, max_iter=3000, class_weight="balanced", random_state=42).fit(features, labels)
    bayes = ComplementNB(alpha=situation_model._BAYES_ALPHA).fit(features, labels)
    for text in ("mon employeur a supprimé ma prime", "zzz xylophone kwyjibo", "la haie"):
        unseen = situation_model._tf_idf(situation_model._counts([text]), model.idf)
        expected = ((1 - situation_model._BAYES_SHARE) * regression.predict_proba(unseen)
                    + situation_model._BAYES_SHARE * bayes.predict_proba(unseen)).ravel()
        got = model.probabilities(text)
        assert [got[name] for name in regression.classes_] == pytest.approx(expected, abs=1e-6)


def test_a_model_stored_without_naive_bayes_still_answers(model):
    arrays = {key: value for key, value in model.to_arrays().items() if not key.startswith("bayes_")}
    older = SituationModel.from_arrays(arrays)
    assert older.bayes is None
    assert sum(older.probabilities("le chien aboie").values()) == pytest.approx(1.0)
    assert not np.allclose(list(older.probabilities("le chien aboie").values()),
                           list(model.probabilities("le chien aboie").values()))


def test_a_certain_but_wrong_diet_is_overruled_and_the_situation_mass_kept():
    intent = {"name": "situation_consumer", "confidence": 0.99}
    ranking = [intent, {"name": "situation_workplace", "confidence": 0.005}, {"name": "greet", "confidence": 0.005}]
    new_intent, new_ranking = reshare(intent, ranking, {"situation_workplace": 0.8, "situation_consumer": 0.2})
    assert new_intent["name"] == "situation_workplace"
    situations = [e for e in new_ranking if e["name"].startswith("situation_")]
    assert sum(e["confidence"] for e in situations) == pytest.approx(0.995)
    assert {"name": "greet", "confidence": 0.005} in new_ranking


def test_other_intents_are_untouched():
    intent = {"name": "affirm", "confidence": 0.95}
    ranking = [intent, {"name": "situation_family", "confidence": 0.01}]
    assert reshare(intent, ranking, {"situation_workplace": 1.0}) == (intent, ranking)


def test_a_fallback_keeps_its_name_and_gets_the_situation_scores():
    intent = {"name": "nlu_fallback", "confidence": 0.4}
    ranking = [intent, {"name": "situation_family", "confidence": 0.3}, {"name": "situation_consumer", "confidence": 0.3}]
    new_intent, new_ranking = reshare(intent, ranking, {"situation_family": 0.1, "situation_consumer": 0.9})
    assert new_intent == intent
    assert [e["name"] for e in new_ranking][:2] == ["situation_consumer", "nlu_fallback"]


def test_its_own_sentences_are_situations_of_the_five_domains_and_other():
    sentences = situation_model.own_sentences()
    assert len(sentences) > 500
    assert {label for _, label in sentences} == {
        "situation_family", "situation_neighbourhood", "situation_consumer", "situation_workplace",
        "situation_territorial", "situation_other"}
    assert all(text for text, _ in sentences)


def test_training_adds_its_own_sentences_to_the_situations_of_data_nlu(monkeypatch, tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    own = tmp_path / "own.yml"
    own.write_text('version: "3.1"\nnlu:\n- intent: situation_consumer\n  examples: |\n'
                   '    - le garagiste a facturé des pièces jamais changées\n', encoding="utf-8")
    long_tail = tmp_path / "long_tail.yml"
    long_tail.write_text('version: "3.1"\nnlu:\n- intent: situation_workplace\n  examples: |\n'
                         '    - la cheffe de rayon change mes horaires la veille\n', encoding="utf-8")
    monkeypatch.setattr(situation_model, "TRAINING_FILE", own)
    monkeypatch.setattr(situation_model, "LONG_TAIL_FILE", long_tail)
    fitted, real_fit = {}, SituationModel.fit
    monkeypatch.setattr(SituationModel, "fit", classmethod(lambda cls, texts, labels: fitted.update(
        texts=texts, labels=labels) or real_fit(texts, labels)))
    monkeypatch.setattr(situation_model, "write_arrays", lambda *args: None)
    messages = [Message(data={"text": text, "intent": label}) for label, texts in TEXTS.items() for text in texts]
    messages.append(Message(data={"text": "bonjour", "intent": "greet"}))
    component = situation_model.SituationClassifier(LocalModelStorage(tmp_path / "m"), Resource("situations"))
    component.train(TrainingData(training_examples=messages))
    assert "le garagiste a facturé des pièces jamais changées" in fitted["texts"]
    assert "la cheffe de rayon change mes horaires la veille" in fitted["texts"]
    assert "bonjour" not in fitted["texts"]
    assert len(fitted["texts"]) == sum(map(len, TEXTS.values())) + 2
    assert situation_model.SituationClassifier.fingerprint_addon({}) == __import__("hashlib").sha256(
        own.read_bytes() + long_tail.read_bytes()).hexdigest()
