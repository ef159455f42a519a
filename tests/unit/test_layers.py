"""The layers of bot/, kept by a test: each rule fails the day an import breaks it."""
from __future__ import annotations

import ast

import pytest

from bot.paths import ROOT

BOT = ROOT / "bot"
FRAMEWORKS = ("rasa", "rasa_sdk", "sanic")
# Only these import Rasa or Sanic: the plug-ins config.yml and endpoints.yml name, the channels,
# the two server processes, and the operators' command line (__main__.py).
FRAMEWORK_HOMES = ("bot/rasa_plugins/", "bot/channels/", "bot/servers/")
ALLOWED = {
    # The agenda is its own service: language, places, codes, content and its own keys, never the conversation.
    "bot/agenda/": ("bot.agenda", "bot.language", "bot.places", "bot.content", "bot.codes", "bot.paths",
                    "bot.privacy.crypto"),
    # The legal engine is a pure function of the facts and the date.
    "bot/legal/": ("bot.legal", "bot.language", "bot.codes", "bot.paths"),
}
FORBIDDEN = {"bot/privacy/": ("bot.channels",)}


def imports(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # a submodule or a name in it
    return names


def modules():
    return sorted(BOT.rglob("*.py"))


def within(name: str, packages) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def breaches(where: str, source: str) -> list[str]:
    found = []
    for name in imports(source):
        if within(name, FRAMEWORKS) and not where.startswith(FRAMEWORK_HOMES) and not where.endswith("/__main__.py"):
            found.append(f"{where} imports {name}")
        for folder, allowed in ALLOWED.items():
            if where.startswith(folder) and name.startswith("bot.") and not within(name, allowed):
                found.append(f"{where} imports {name}")
        for folder, forbidden in FORBIDDEN.items():
            if where.startswith(folder) and within(name, forbidden):
                found.append(f"{where} imports {name}")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda path: path.relative_to(BOT).as_posix())
def test_every_module_keeps_the_layers(path):
    assert breaches(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("where, source", [
    ("bot/agenda/store.py", "from bot.booking import parse_contact"),
    ("bot/agenda/store.py", "from bot.channels import rendering"),
    ("bot/agenda/store.py", "from bot import booking"),
    ("bot/legal/engine.py", "from bot.intake.classifier import classify"),
    ("bot/privacy/erasure.py", "from bot.channels.conversations import or_none"),
    ("bot/booking.py", "import rasa"),
    ("bot/intake/recap.py", "from rasa_sdk import Tracker"),
    ("bot/safety/screen.py", "from sanic import response"),
])
def test_the_rules_catch_a_wrong_way_import(where, source):
    assert breaches(where, source) != []


@pytest.mark.parametrize("where, source", [
    ("bot/agenda/service.py", "from bot.language.contacts import parse_contact\nfrom bot.privacy import crypto"),
    ("bot/privacy/__main__.py", "from rasa.utils.endpoints import read_endpoint_config"),
    ("bot/rasa_plugins/nlu_safety.py", "from rasa.engine.graph import GraphComponent"),
    ("bot/channels/rest.py", "from bot.privacy.erasure import erase_person"),
])
def test_the_rules_let_the_right_imports_through(where, source):
    assert breaches(where, source) == []
