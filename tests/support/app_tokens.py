"""JSON web tokens as the mobile app's sign-in service would issue them (bot/channels/app.py)."""
from __future__ import annotations

import time

import jwt

from tests.support.fake_platform import CHANNEL_TEST_SECRETS

SECRET = CHANNEL_TEST_SECRETS["APP_JWT_SECRET"]


def token(sub="user-1", secret=SECRET, algorithm="HS256", ttl=600, **claims):
    payload = {"sub": sub, "exp": int(time.time()) + ttl, **claims}
    if sub is None:
        del payload["sub"]
    return jwt.encode(payload, secret, algorithm=algorithm)
