"""Pseudonymous conversation ids (bot/privacy/pseudonyms.py): AES-SIV, no mapping table."""
import base64
import re
import secrets

import pytest

from bot.channels import conversation_ids
from bot.privacy import pseudonyms
from bot.privacy.pseudonyms import platform_id, pseudonym

WHATSAPP, MESSENGER, TWILIO = conversation_ids.WHATSAPP, conversation_ids.MESSENGER, conversation_ids.TWILIO
NUMBER = "33612345678"
PSID = "1254459154682919"
REAL_IDS = [(WHATSAPP, NUMBER), (WHATSAPP, "9" * 20), (MESSENGER, PSID), (MESSENGER, "9" * 32),
            (TWILIO, "+33612345678"), (TWILIO, "whatsapp:+33612345678"), (TWILIO, "whatsapp:+" + "9" * 15),
            (TWILIO, "messenger:" + PSID)]
TOKEN = re.compile(r"^[a-z2-7]+$")  # lowercase base32: URL-safe, and the same after lowercasing


@pytest.fixture(autouse=True)
def key(monkeypatch):
    value = secrets.token_urlsafe(64)
    monkeypatch.setenv(pseudonyms.KEY_VARIABLE, value)
    monkeypatch.delenv(pseudonyms.OLD_KEYS_VARIABLE, raising=False)
    return value


@pytest.mark.parametrize("prefix, person", REAL_IDS + [(TWILIO, "0012"), (TWILIO, "abc"), (TWILIO, ""),
                                                       (TWILIO, "messenger:é" + "7" * 60)])
def test_round_trip_and_nothing_in_clear(prefix, person):
    conversation = pseudonym(prefix, person)
    assert conversation.startswith(prefix) and TOKEN.match(conversation[len(prefix):])
    assert platform_id(prefix, conversation) == person
    digits = re.sub(r"\D", "", person)
    assert len(digits) < 4 or digits not in conversation


def test_real_ids_stay_within_64_characters():
    assert max(len(pseudonym(prefix, person)) for prefix, person in REAL_IDS) <= 64


def test_stable_for_the_same_person_and_key():
    assert pseudonym(WHATSAPP, NUMBER) == pseudonym(WHATSAPP, NUMBER)
    assert pseudonym(WHATSAPP, NUMBER) != pseudonym(WHATSAPP, "33612345679")


def test_the_same_number_on_two_channels_gives_unrelated_ids():
    on_whatsapp, on_twilio = pseudonym(WHATSAPP, NUMBER), pseudonym(TWILIO, NUMBER)
    assert on_whatsapp[len(WHATSAPP):] != on_twilio[len(TWILIO):]
    # The channel is authenticated too: a token moved to another channel opens nothing.
    assert platform_id(TWILIO, TWILIO + on_whatsapp[len(WHATSAPP):]) is None
    assert platform_id(MESSENGER, on_whatsapp) is None


def test_another_key_gives_other_ids_and_old_keys_only_decode(monkeypatch, key):
    before = pseudonym(WHATSAPP, NUMBER)
    monkeypatch.setenv(pseudonyms.KEY_VARIABLE, secrets.token_urlsafe(64))
    after = pseudonym(WHATSAPP, NUMBER)
    assert after != before and platform_id(WHATSAPP, before) is None
    monkeypatch.setenv(pseudonyms.OLD_KEYS_VARIABLE, f"not-a-key, {key}")
    assert platform_id(WHATSAPP, before) == NUMBER  # replies still reach the old conversation
    assert pseudonym(WHATSAPP, NUMBER) == after  # but new ids always use the current key


def test_tampered_or_foreign_ids_decode_to_none():
    conversation = pseudonym(WHATSAPP, NUMBER)
    token = conversation[len(WHATSAPP):]
    flipped = [WHATSAPP + token[:i] + ("a" if c != "a" else "b") + token[i + 1:] for i, c in enumerate(token)]
    for forged in flipped + [conversation[:-1], conversation + "a", conversation + "aaaaaaaa", conversation.upper(),
                             WHATSAPP + token.upper(), WHATSAPP + NUMBER, WHATSAPP, WHATSAPP + "../x",
                             WHATSAPP + "!" * 40, "widget-" + token, "", None, 42]:
        assert platform_id(WHATSAPP, forged) is None, forged


def test_the_key_must_be_64_bytes_of_url_safe_base64(monkeypatch):
    for bad in ("", "   ", "tooshort", base64.urlsafe_b64encode(bytes(32)).decode(), "*" * 86):
        monkeypatch.setenv(pseudonyms.KEY_VARIABLE, bad)
        assert not pseudonyms.configured()
    monkeypatch.setenv(pseudonyms.KEY_VARIABLE, base64.urlsafe_b64encode(bytes(64)).decode())  # padding accepted
    assert pseudonyms.configured()


def test_without_a_key_no_id_is_made_and_none_is_read(monkeypatch, key):
    conversation = pseudonym(WHATSAPP, NUMBER)
    monkeypatch.delenv(pseudonyms.KEY_VARIABLE)
    assert not pseudonyms.configured()
    with pytest.raises(pseudonyms.PseudonymKeyError) as refused:
        pseudonym(WHATSAPP, NUMBER)  # never a clear id instead
    assert "CONVERSATION_ID_KEY" in str(refused.value)
    assert platform_id(WHATSAPP, conversation) is None
    monkeypatch.setenv(pseudonyms.KEY_VARIABLE, "short-secret-value")
    with pytest.raises(pseudonyms.PseudonymKeyError) as refused:
        pseudonym(WHATSAPP, NUMBER)
    assert "short-secret-value" not in str(refused.value)
