"""Secrets a client sends back (a button's seal, a verify token, a CSRF token) are compared in
constant time and never raise, whatever the text: hmac.compare_digest refuses non-ASCII str."""
from bot import booking
from bot.privacy.crypto import same_secret


def test_same_secret_accepts_only_the_same_text_and_never_raises():
    assert same_secret("abc", "abc")
    for given in ("abd", "", "é" * 3, "\ud800", "\x00", None, 12, b"abc"):
        assert not same_secret(given, "abc")


def test_an_offer_with_a_hostile_seal_is_refused_not_a_crash():
    offer = booking.seal_offers([{"slot_id": 1}], "conv-1")[0]
    assert booking.offer_sealed_for(offer, "conv-1")
    for seal in ("\ud800" * 32, "é" * 32, "\x00"):
        assert not booking.offer_sealed_for({**offer, "seal": seal}, "conv-1")
