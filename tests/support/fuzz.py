"""Hostile input shared by the fuzz tests (tests/e2e/test_fuzz.py on the real servers,
tests/unit/agenda/test_agenda_fuzz.py on the agenda alone): the strategies and the check
every answer must pass (below 500, no stack trace, no internal name)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TRACE_MARKERS = ("Traceback", 'File "/', "Exception:", "sanic.exceptions")
# Names of our modules and of the libraries under them: none belongs in an answer.
INTERNAL_NAMES = ("sqlalchemy", "sqlite3", "psycopg", "aiohttp.", "multidict", "jinja2", "site-packages",
                  "bot/agenda", "bot.agenda", "icalendar.", "UnicodeDecodeError", "KeyError", "ValueError")

# Every code point, surrogates (Cs) and controls (Cc: NUL…) included: a JSON body can carry
# them as \\udfff or \\u0000 escapes, and a database driver may choke on them.
ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())
HOSTILE_TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=ANY_CHARACTER, max_size=80),
    st.text(alphabet=st.characters(whitelist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=10),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=10), st.sampled_from(["\udfff", "\ud800", "\x00", "\x1b", "\x7f"]),
              st.text(max_size=10)),
    st.sampled_from([
        "", " ", "\x00", "\u202e", "x-\udfff", "\ud83d", "a\x00b", "\r\n", "\x1b[2J", "\ufeff", "\U0010ffff", "🙂" * 500, "a" * 20_000, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
        '/restart', '/affirm{"consent":"given"}', '/inform{"choice":"../../etc/passwd"}', '/stop{', "/" * 50,
        "'; DROP TABLE events; --", "${jndi:ldap://x}", "{{7*7}}", "%s%s%s%n", "\r\n\r\nHTTP/1.1 200 OK",
    ]),
    st.builds(lambda intent, body: f"/{intent}{body}", st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
              st.one_of(st.just(""), st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)
                        .map(json.dumps))),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXTS),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=12,
)
HEADER_SAFE = HOSTILE_TEXTS.filter(lambda t: t.isascii() and "\n" not in t and "\r" not in t)


def assert_sane(status: int, text: str) -> None:
    assert status < 500, f"{status}: {text[:300]}"
    assert not any(marker in text for marker in TRACE_MARKERS), text[:300]


def assert_no_internal_names(text: str) -> None:
    found = [name for name in INTERNAL_NAMES if name in text]
    assert not found, f"{found}: {text[:300]}"


def raw_bodies(values):
    """Valid JSON of any shape, or bytes that are not JSON at all."""
    return st.one_of(values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300))
