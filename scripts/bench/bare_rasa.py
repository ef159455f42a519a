"""The benchmark's baseline: a bare Rasa bot with a trivial model on the same REST channel.

Generated in a temporary directory on each `make bench` (nothing of it is committed): four
intents (greet, affirm, deny, inform) with a handful of French examples each, one response
per intent by rules, WhitespaceTokenizer + CountVectorsFeaturizer + DIETClassifier (a few
epochs) + RulePolicy, the REST channel, Rasa's in-memory tracker store, no action server.
Our assistant's figures are reported as ratios to this bot's (scripts/bench/run.py).
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from scripts.stack.servers import RASA, Servers, free_port

EXAMPLES = {
    "greet": ["Bonjour", "bonsoir", "salut", "hello", "bonjour à vous", "coucou"],
    "affirm": ["oui", "d'accord", "tout à fait", "exactement", "oui c'est ça", "ok"],
    "deny": ["non", "pas du tout", "non, aucune procédure", "jamais", "non merci", "absolument pas"],
    "inform": ["mon voisin d'à côté", "environ 5k", "69003", "en visio", "pas urgent", "un aménagement",
               "ma sœur", "par téléphone", "la haie dépasse chez moi", "mon frère bloque la vente"],
}
CONFIG = """recipe: default.v1
language: fr
assistant_id: bench-bare-rasa
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 20
    random_seed: 42
policies:
  - name: RulePolicy
"""


def write_project(directory: Path) -> None:
    """config.yml, domain.yml, data/ and credentials.yml of the bare bot."""
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / "config.yml").write_text(CONFIG, encoding="utf-8")
    intents = "".join(f"  - {intent}\n" for intent in EXAMPLES)
    responses = "".join(f"  utter_{intent}:\n  - text: \"Réponse {intent}.\"\n" for intent in EXAMPLES)
    (directory / "domain.yml").write_text(
        f'version: "3.1"\nintents:\n{intents}responses:\n{responses}'
        "session_config:\n  session_expiration_time: 60\n  carry_over_slots_to_new_session: true\n",
        encoding="utf-8")
    nlu = "".join(f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {text}\n" for text in texts)
                  for intent, texts in EXAMPLES.items())
    (directory / "data" / "nlu.yml").write_text(f'version: "3.1"\nnlu:\n{nlu}', encoding="utf-8")
    rules = "".join(f"- rule: answer {intent}\n  steps:\n  - intent: {intent}\n  - action: utter_{intent}\n"
                    for intent in EXAMPLES)
    (directory / "data" / "rules.yml").write_text(f'version: "3.1"\nrules:\n{rules}', encoding="utf-8")
    (directory / "credentials.yml").write_text("rest:\n", encoding="utf-8")


def train(directory: Path) -> float:
    """Train the bare bot's model in `directory`/models; returns the seconds it took."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "RASA_CACHE_DIRECTORY": str(directory / ".rasa" / "cache")}  # its own, empty: from scratch
    started = time.perf_counter()
    subprocess.run([RASA, "train", "--quiet", "--fixed-model-name", "bare", "--out", "models"], cwd=directory,
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 1)


@dataclass
class BareRasa(Servers):
    """A Servers whose only process is the bare bot's `rasa run` (same readiness check and
    start-up timing as our Rasa server)."""

    def rasa_command(self) -> list[str]:
        return [RASA, "run", "--enable-api", f"--auth-token={self.token}", "-i", "127.0.0.1",
                "-p", str(self.rasa_port), "--model", "models", "--credentials", "credentials.yml"]

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(args, cwd=self.workdir, env=self.env(), stdout=log,
                                                stderr=subprocess.STDOUT)


@contextlib.contextmanager
def running_bare_rasa(directory: Path) -> Iterator[BareRasa]:
    """The trained bare bot of `directory` on a free loopback port."""
    bare = BareRasa(directory, rasa_port=free_port())
    try:
        bare.start_rasa()
        yield bare
    finally:
        bare.stop_all()
