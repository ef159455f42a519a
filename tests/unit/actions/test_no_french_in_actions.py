"""Actions are glue: every French text they send comes from bot/content.py, none is written here.

An ast scan of the string constants in actions/ (docstrings left aside, they are English prose
that may quote the person): a French letter, a guillemet or a common French word fails."""
from __future__ import annotations

import ast
import re

import pytest

from bot.paths import ROOT

FRENCH_LETTER = re.compile(r"[àâçéèêëîïôûùüÿœæÀÂÇÉÈÊËÎÏÔÛÙÜŸŒÆ«»’]")
FRENCH_WORD = re.compile(r"\b(?:le|la|les|un|une|des|du|de|au|aux|vous|votre|vos|je|nous|est|et|ou|pour|avec|"
                         r"sans|dans|en|sur|pas|ce|cette|qui|que|merci|bonjour|oui|non|nom|personne|rendez-vous)\b",
                         re.IGNORECASE)


def docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def french_literals(source: str) -> list[str]:
    tree = ast.parse(source)
    docstrings = docstring_nodes(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and (FRENCH_LETTER.search(node.value)
                 or (FRENCH_WORD.search(node.value.replace("_", " ")) and not node.value.startswith("/")))]


def test_the_scan_finds_french_and_leaves_code_alone():
    source = '''"""Docstring « en français » left alone."""
def f(label, name):
    """Said « à vérifier »."""
    text = f"{label}, au nom de {name}"
    return ["Voir les choix", "à", text, "booking_status", "/inform", "action_ask_booking_name", "in_person"]
'''
    assert french_literals(source) == [", au nom de ", "Voir les choix", "à"]


@pytest.mark.parametrize("path", sorted((ROOT / "actions").glob("*.py")), ids=lambda path: path.name)
def test_no_french_literal_in_an_action(path):
    assert french_literals(path.read_text(encoding="utf-8")) == []
