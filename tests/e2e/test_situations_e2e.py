"""The written situations (tests/situations/situations.yml) run end to end through the REST
channel, as a person would type them, on both paths people take: « Bonjour » first, then consent,
then the story (the usual path, the widget even sends the greeting), and the story first. Then
safety, classification, intake, triage questions, verdict with sources, outcomes, routes. The expected verdicts were written
by hand from legal-rules.md, not produced by the engine.

The situations run four at a time; a report goes to reports/situations_e2e.json.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.conftest import Chat

pytestmark = pytest.mark.model

from bot.paths import ROOT
SITUATIONS = yaml.safe_load((ROOT / "tests" / "situations" / "situations.yml").read_text(encoding="utf-8"))["situations"]
MAX_TURNS = 40
INTAKE_SLOTS = ("situation_description", "domain_confirmed", "domain_choice", "other_party", "relationship_continues",
                "amount_eur", "court_status", "urgency", "postal_code", "preferred_mode")


def _last_bot_action(tracker: dict) -> str | None:
    actions = [e["name"] for e in tracker["events"] if e.get("event") == "action" and e.get("name") != "action_listen"]
    return actions[-1] if actions else None


def _answer_for(situation: dict, tracker: dict) -> str | None:
    answers = situation["answers"]
    slots = tracker["slots"]
    requested = slots.get("requested_slot")
    last = _last_bot_action(tracker)
    if last in ("action_show_routes", "action_offer_booking") or (requested or "").startswith("booking_"):
        return None  # orientation done: routes shown, then the mediator offers (or none, in danger)
    if last == "action_show_recap":
        return "oui c'est exact"
    if requested == "consent":
        return "oui j'accepte"
    if requested == "situation_description":
        return situation["description"]
    if requested in INTAKE_SLOTS:
        return answers[requested]
    if requested == "triage_answer":
        return answers[slots["triage_question"]]
    if requested == "outcome_aim":
        return answers.get("outcome_aim", "je ne sais pas encore")
    raise AssertionError(f"unexpected state: requested={requested} last action={last}")


PATHS = ("greeting_first", "story_first")


def run_situation(servers, situation: dict, path: str) -> dict:
    chat = Chat(servers, f"situation-{situation['id']}-{path}")
    opening = "Bonjour" if path == "greeting_first" else situation["description"]
    transcript = [("user", opening)]
    replies = chat.say(opening)
    for _ in range(MAX_TURNS):
        transcript += [("bot", reply.get("text", "")) for reply in replies]
        tracker = chat.tracker()
        try:
            answer = _answer_for(situation, tracker)
        except KeyError as missing:
            return {"id": situation["id"], "error": f"no answer written for {missing}", "transcript": transcript}
        except AssertionError as error:
            return {"id": situation["id"], "error": str(error), "transcript": transcript}
        if answer is None:
            slots = tracker["slots"]
            return {"id": situation["id"], "domain": slots.get("situation_domain"),
                    "verdict": slots.get("prelitigation"), "rules": (slots.get("triage_result") or {}).get("rules", []),
                    "safety_risk": slots.get("safety_risk"), "outcome_aim": slots.get("outcome_aim"),
                    "questions": sorted((slots.get("triage_answers") or {}).keys()), "transcript": transcript}
        transcript.append(("user", answer))
        replies = chat.say(answer)
    return {"id": situation["id"], "error": "conversation did not end", "transcript": transcript}


@pytest.fixture(scope="module")
def results(servers):
    runs = [(situation, path) for situation in SITUATIONS for path in PATHS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda run: run_situation(servers, *run) | {"path": run[1]}, runs)
        outcome = {(result["id"], result["path"]): result for result in results}
    report = {"situations": len(SITUATIONS)}
    for path in PATHS:
        right = [s["id"] for s in SITUATIONS if _is_right(s, outcome[s["id"], path])]
        report[path] = {"right_verdict_end_to_end": len(right),
                        "wrong": [{k: v for k, v in outcome[s["id"], path].items() if k != "transcript"}
                                  for s in SITUATIONS if s["id"] not in right]}
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "situations_e2e.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                                         encoding="utf-8")
    return outcome


def _is_right(situation: dict, result: dict) -> bool:
    expected = situation["expected"]
    return ("error" not in result and result["verdict"] == expected["verdict"]
            and result["domain"] == expected["domain"] and set(expected["rules"]) <= set(result["rules"]))


def test_there_are_at_least_40_situations():
    assert len(SITUATIONS) >= 40
    assert len({s["id"] for s in SITUATIONS}) == len(SITUATIONS)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("situation", SITUATIONS, ids=[s["id"] for s in SITUATIONS])
def test_situation_gets_the_right_verdict_end_to_end(results, situation, path):
    result = results[situation["id"], path]
    assert "error" not in result, (result.get("error"), result["transcript"][-6:])
    expected = situation["expected"]
    assert result["domain"] == expected["domain"]
    assert result["verdict"] == expected["verdict"], result
    assert set(expected["rules"]) <= set(result["rules"]), result
    bot_text = "\n".join(text for who, text in result["transcript"] if who == "bot")
    assert "Base légale" in bot_text or expected["verdict"] == "unknown"
    assert "pas un conseil juridique" in bot_text
    if result["safety_risk"]:
        # Numbers first, no mediation proposed, no outcome question.
        assert "• 17 –" in bot_text and "aucune médiation" in bot_text
        assert result["outcome_aim"] is None and "Quelle perspective" not in bot_text
    else:
        assert "La reprise" in bot_text and result["outcome_aim"] is not None
        assert "Les voies possibles et leur coût" in bot_text
