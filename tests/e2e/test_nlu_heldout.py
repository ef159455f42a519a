"""The held-out situations (never trained on) are classified as the assistant would."""

import pytest

from bot.rasa_plugins.nlu_situation_model import LONG_TAIL_FILE, TRAINING_FILE as SITUATION_MODEL_FILE
from scripts.bench.eval_nlu import SETS, evaluate, heldout_examples, write_report
from bot.paths import ROOT

pytestmark = pytest.mark.model


# Every held-out set of scripts/bench/eval_nlu.py, so a new one is covered without anyone remembering it.
@pytest.mark.parametrize("name", list(SETS))
def test_no_held_out_sentence_is_in_the_training_data(name):
    # data/nlu, and the sentences only the situation model learns from.
    training_files = [*(ROOT / "data" / "nlu").glob("*.yml"), SITUATION_MODEL_FILE, LONG_TAIL_FILE]
    train_text = "\n".join(path.read_text(encoding="utf-8").lower() for path in training_files)
    overlap = [text for text, _ in heldout_examples(SETS[name]) if f"- {text.lower()}\n" in train_text]
    assert overlap == []


# 92.7 % measured on 2026-12-03, after 7 sentences were relabelled from « other » to workplace
# (associations, clubs, partners: the convention of issue 15); 94.7 % since the cues no longer
# overrule a confident NLU answer (a change its errors guided: it is a development set now).
# A regression guard, not a goal.
HELDOUT_MIN_ACCURACY = 0.92  # less a margin for the noise of a training from scratch


def test_heldout_accuracy_holds(model_parse):
    result = evaluate(model_parse)
    write_report(result)
    assert result["examples"] >= 150
    assert result["accuracy"] >= HELDOUT_MIN_ACCURACY, result["errors"]


# The first blind set: 76.0 % → 89.0 % (first change of 2026-12-03) → 90.5 % (second) → 96.0 %
# (third); its errors guided the second and third changes: a development set now.
BLIND_MIN_ACCURACY = 0.93


# The second blind set (250, 50 per domain), never read: 88.4 % with the model of the second
# session's start, 91.6 % with that session's model, 92.8 % after the third session, 95.6 % after
# the fourth (measured, still never read). The third blind set (300, written before the changes of
# the third session, labels aligned on the project's conventions before any measurement, never
# read): 87.0 % → 91.3 % (third session) → 93.7 % (fourth, 40 epochs) → 94.0 % (80 epochs). The fourth blind set (290, written
# before the changes of the fourth session, the conventions given to its writer): 92.8 % with the
# model of that session's start, 95.9 % after (540 more training sentences, the conventions'
# cues, chosen on a development set: a new writer's batch held out of a training), 96.2 % after the
# fifth. The fifth blind set (300, 55 per domain and 25 « other », written before the changes of
# the fifth session, never read): 91.0 % before, 94.3 % after (480 more training sentences, cues
# chosen on that batch held out). In the fifth session b was 95.6 % and c 94.7 %. The sixth blind
# set (300, same composition, written before batch f, never read): 91.0 % with the model of the
# fifth session (its first blind measure), 91.7 % after batch f (420 more sentences and cues chosen
# on them held out); then b 96.4 %, c 93.7 %, d 96.6 %, e 95.0 %. After a classifier fix found in
# review (one word playing both business roles, f4798e5): f 92.0 %, b 96.8 %, the others unchanged. Each floor: a figure less a
# margin for the noise of a training from scratch. The ninth blind set (i, 300, written before
# batch i, never read): 95.3 % at its first measure, on the eighth pass's model; 97.0 % after batch i.
# The tenth (j, 300, written before batch j, never read): 96.7 % at its first measure, on batch i's
# model. The twelfth (l, 300, written at the start of the tenth pass, never read; one sentence,
# « test », was also an everyday training example and was removed): 98.0 % at its first measure, on the
# ninth pass's final model. The thirteenth (m, 298 of 300: two were training examples; written at the start of the eleventh pass, never
# read): 96.3 % at its first measure, on the tenth pass's final model. The fourteenth (n, 300, written
# at the start of the twelfth pass, never read): 97.3 % at its first measure, on the eleventh pass's
# final model. The fifteenth (o, 300, written at the start of the thirteenth pass, never read): 97.7 % at
# its first measure, on the twelfth pass's final model. The sixteenth (p, 281 of 300, written at the start of the
# fourteenth pass, never read): 97.2 % at its first measure, on the thirteenth pass's final model. The seventeenth (q,
# 283 of 300, written at the start of the fifteenth pass, never read): 96.1 % at its first measure, on the
# fourteenth pass's final model. The eighteenth (r, 278 of 300, written at the start of the sixteenth pass, never
# read): 96.8 % at its first measure, on the fifteenth pass's final model. Issue 15's goal is 97 %. In the sixteenth pass (2026-12-05) the errors of c
# (94.3 %) and f (94.7 %) were read, the two lowest: development sets since, like the first one; the cues
# their errors showed (« ma boîte » is an employer, public bodies other than the town hall) gave c 95.7 %
# and f 96.7 % on the same model; with a situation spread over several domains no longer « ask again », f 97.7 %; after the review narrowed the
# new cues (« ma boîte à lettres », a lodger paid late, someone else's agent), f 97.3 %, every blind set the same.
# After batch x (the pass's last change): r 97.1 %, q 96.8 %, p 98.6 %, h 96.7 %, g 95.3 %, the fifteen sets
# still blind 97.7 % pooled (4,278 / 4,377).
ACCURACY_FLOORS = {  # set: (its size, the floor)
    "blind": (200, BLIND_MIN_ACCURACY),
    "blind_b": (250, 0.93),
    "blind_c": (300, 0.91),
    "blind_d": (290, 0.93),
    "blind_e": (300, 0.92),
    "blind_f": (300, 0.89),
    "blind_g": (300, 0.89),
    "blind_h": (300, 0.9),
    "blind_i": (300, 0.92),
    "blind_j": (298, 0.93),
    "blind_k": (300, 0.93),
    "blind_l": (299, 0.94),
    "blind_m": (298, 0.93),
    "blind_n": (300, 0.94),
    "blind_o": (300, 0.94),
    "blind_p": (281, 0.94),
    "blind_q": (283, 0.93),
    "blind_r": (278, 0.93),
}


MAX_STORIES_READ_AS_DANGER = 8


def test_every_blind_set_has_a_floor():
    assert set(ACCURACY_FLOORS) == set(SETS) - {"heldout"}


@pytest.mark.parametrize("name", list(ACCURACY_FLOORS))
def test_blind_set_accuracy_holds(model_parse, name):
    size, floor = ACCURACY_FLOORS[name]
    result = evaluate(model_parse, heldout_examples(SETS[name]))
    write_report(result, f"nlu_eval_{name}")
    assert result["examples"] >= size
    assert result["accuracy"] >= floor
    # A mediation story read as danger loses its mediation proposal: 0 to 6 per set on 2026-12-05
    # (13 of the 3,835 blind sentences; 18 before the danger model learnt the situation stories).
    assert result["flagged_as_danger"] <= MAX_STORIES_READ_AS_DANGER
