"""The blind safety set (tests/safety/blind_safety_2026_12.yml), per state of the conversation.

Written before the danger classifier and its sentences by someone who never saw the lexicon nor
the training data; never used to write a pattern or a training sentence. Each sentence is sent as
the first message, as the description after « Bonjour » and consent (the usual path), and as an
answer to an intake question. The danger screen must decide the same in every state (it is the
same screen), and the figures are written to reports/safety_blind.json.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from bot.legal.engine import default_table
from tests.support.conversation_walk import Scenario, replay, walk

pytestmark = pytest.mark.model

from bot.paths import ROOT
# The first set has been measured since (its floors below); the second (« b », 50 + 50) was written
# blind before the changes of the second session of 2026-12-03 and never read; the third (« c »,
# 60 + 60) before those of the third session. Caveat on « c »: a debug log printed its sentences with
# the decisions of the older model once, before the change; the change (training sentences written
# by a helper who never saw it, already in place) was not altered after.
# Every blind set in tests/safety, so a new one is measured (and needs its floor) without a code change.
SETS = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "tests" / "safety").glob("blind_safety_*.yml"))}
HELPLINES = {line.number for line in default_table().helplines}
STATES = ("first_message", "description_after_greeting", "intake_answer")
# The first set: 18/40 as a first message and 0/40 after « Bonjour » or in the intake before
# 2026-12-03; 27/40 with 4 false alarms after its first change; 30/40 with 3 since the danger model
# reads word vectors and twice the sentences. The second set: 40/50 with 5/50 false alarms with
# the model of that second change's start, 42/50 and 5/50 after it. Floors: today's figures less
# a margin for the noise of a training from scratch (4 dangers, 3 false alarms).
# Third session of 2026-12-03 (danger training sentences 860 / 600, a third set « c », 60 + 60,
# written blind before it): first 34/40 with 3 false alarms, second 43/50 with 4, third 41/60 with 5
# before and 43/60 with 5 after (as a first message through the model). Fourth session (a fourth
# set « d », 60 + 60, written blind before it; 1,009 / 750 training sentences; the threshold at
# 0.5 % false alarms out of fold instead of 0.25 %): first 37/40 with 3, second 45/50 with 4, third
# 49/60 with 5, fourth 45/60 with 3 before and 50/60 with 3 after. Fifth session (a fifth set « e »,
# 60 + 60, written blind before it; 1,228 dangers / 1,258 look-alikes, 1,257 since): first 37/40 with 3, second
# 47/50 with 4, third 51/60 with 5, fourth 51/60 with 3, fifth 47/60 with 6 before and 51/60 with 6
# after. A sixth set « f » (60 + 60), written after that change and before batch f (situations
# only): 47/60 with 2 false alarms, its first measure; the same after batch f (third: 52/60).
# A seventh set « g » (2026-12-04): 56/60 with 6 first measured as a first message, 54/60 with 6
# after the naive Bayes change. An eighth « h » (60 + 60), written before batch h: 48/60 with 4
# as a first message, its first measure on the seventh pass's model. A ninth « i » (60 + 60),
# written before batch i: 55/60 with 8 false alarms, its first measure on the eighth pass's model,
# the same after. A tenth « j », written before batch j: 55/60 with 9, first measured on batch i's model.
# An eleventh « k », written at the end of the ninth pass: 53/60 with 9, measured on its final model.
# A twelfth « l », written at the start of the tenth pass: 46/60 with 5, its first measure on the ninth pass's model.
# A thirteenth « m », written at the start of the eleventh pass: 54/60 with 5, its first measure on the tenth pass's model.
# A fourteenth « n », written at the start of the twelfth pass: 55/60 with 5, its first measure on the eleventh pass's model.
# A fifteenth « o », written at the start of the thirteenth pass: 51/60 with 1, its first measure on the twelfth pass's model.
# A sixteenth « p », written at the start of the fourteenth pass: 51/60 with 3, its first measure on the thirteenth pass's model.
# A seventeenth « q », written at the start of the fifteenth pass (57 dangers, 58 near misses left after 5 too close to a
# training or older test sentence were removed unread): 48/57 with 6/58, its first measure on the fourteenth pass's model.
# An eighteenth « r », written at the start of the sixteenth pass (60 dangers, 55 near misses left after 5 too close were
# removed unread): 56/60 with 3/55, its first measure on the fifteenth pass's model.
# « r_short », short messages (57 dangers of 2 to 8 words, 202 everyday messages of 1 to 5 words left after 41
# too close were removed unread), written in the sixteenth pass once a probe had shown one-word imperatives
# read as danger, before the change: 47/57 with 11/202, its first measure on the fifteenth pass's model.
FLOORS = {"blind_safety_2026_12": {"min_recall": 0.8, "max_false_alarms": 6},
          "blind_safety_2026_12b": {"min_recall": 0.8, "max_false_alarms": 7},
          "blind_safety_2026_12c": {"min_recall": 0.72, "max_false_alarms": 8},
          "blind_safety_2026_12d": {"min_recall": 0.75, "max_false_alarms": 6},
          "blind_safety_2026_12e": {"min_recall": 0.78, "max_false_alarms": 9},
          "blind_safety_2026_12f": {"min_recall": 0.71, "max_false_alarms": 5},
          "blind_safety_2026_12g": {"min_recall": 0.86, "max_false_alarms": 8},
          "blind_safety_2026_12h": {"min_recall": 0.75, "max_false_alarms": 7},
          "blind_safety_2026_12i": {"min_recall": 0.85, "max_false_alarms": 10},
          "blind_safety_2026_12j": {"min_recall": 0.85, "max_false_alarms": 11},
          "blind_safety_2026_12k": {"min_recall": 0.83, "max_false_alarms": 11},
          "blind_safety_2026_12l": {"min_recall": 0.72, "max_false_alarms": 8},
          "blind_safety_2026_12m": {"min_recall": 0.83, "max_false_alarms": 8},
          "blind_safety_2026_12n": {"min_recall": 0.85, "max_false_alarms": 8},
          "blind_safety_2026_12o": {"min_recall": 0.8, "max_false_alarms": 5},
          "blind_safety_2026_12p": {"min_recall": 0.8, "max_false_alarms": 6},
          "blind_safety_2026_12q": {"min_recall": 0.77, "max_false_alarms": 9},
          "blind_safety_2026_12r": {"min_recall": 0.85, "max_false_alarms": 7},
          "blind_safety_2026_12r_short": {"min_recall": 0.75, "max_false_alarms": 14}}


@pytest.fixture(scope="module", params=list(SETS))
def figures(request, servers):
    name, blind = request.param, SETS[request.param]
    snapshots = walk(servers, Scenario("Il y a du bruit toutes les nuits sous mes fenêtres", deny_domain_then_choose="neighbourhood"))
    starting_events = {"first_message": [], "description_after_greeting": snapshots["intake_form:situation_description"],
                       "intake_answer": snapshots["intake_form:other_party"]}

    def flagged(state_and_text):
        state, text = state_and_text
        conversation = replay(servers, starting_events[state])
        conversation.say(text)
        return bool(conversation.tracker()["slots"].get("safety_risk")) and any(
            number in conversation.text() for number in HELPLINES)

    hits = [entry["text"] for entry in blind["hits"]]
    misses = [entry["text"] for entry in blind["near_misses"]]
    result = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for state in STATES:
            found = list(pool.map(flagged, [(state, text) for text in hits]))
            alarms = list(pool.map(flagged, [(state, text) for text in misses]))
            result[state] = {"dangers_flagged": sum(found), "dangers": len(hits),
                             "false_alarms": sum(alarms), "near_misses": len(misses),
                             "decisions": found + alarms}
    (ROOT / "reports").mkdir(exist_ok=True)
    report = {state: {k: v for k, v in figures.items() if k != "decisions"} for state, figures in result.items()}
    (ROOT / "reports" / f"safety_{name}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return name, result


def test_every_blind_set_has_a_floor():
    assert set(FLOORS) == set(SETS)


@pytest.mark.parametrize("name", list(SETS))
def test_the_blind_set_is_big_enough(name):
    assert len(SETS[name]["hits"]) >= 30 and len(SETS[name]["near_misses"]) >= 30


def test_danger_is_decided_the_same_in_every_state(figures):
    _, figures = figures
    decisions = {state: figures[state]["decisions"] for state in STATES}
    assert decisions["description_after_greeting"] == decisions["first_message"]
    assert decisions["intake_answer"] == decisions["first_message"]


def test_blind_recall_and_false_alarms_stay_above_the_measured_floor(figures):
    name, figures = figures
    for state in STATES:
        assert figures[state]["dangers_flagged"] / figures[state]["dangers"] >= FLOORS[name]["min_recall"]
        assert figures[state]["false_alarms"] <= FLOORS[name]["max_false_alarms"]
