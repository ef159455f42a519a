"""SMS out of the outbox through Twilio's REST API (aiohttp), with the project's Twilio
settings (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_URL; the sender is TWILIO_SMS_FROM,
else TWILIO_NUMBER when it is a phone number rather than a whatsapp: address).

The same call as bot/channels/twilio.py, repeated here on purpose: the agenda does not
depend on the Rasa channels. A non-2xx answer raises; the outbox retries.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import aiohttp

from bot.agenda.outbox import Message

DEFAULT_API_URL = "https://api.twilio.com"
SMS_LIMIT = 1600  # Twilio's limit for one message body


class SmsRefused(RuntimeError):
    """Twilio refused the message (the status code only: no personal data)."""


@dataclass
class TwilioSms:
    account_sid: str
    auth_token: str
    sender: str
    api_url: str = DEFAULT_API_URL
    timeout: float = 30.0

    async def send(self, message: Message) -> None:
        url = f"{self.api_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
            async with session.post(url, data={"From": self.sender, "To": message.recipient,
                                               "Body": message.text[:SMS_LIMIT]},
                                    auth=aiohttp.BasicAuth(self.account_sid, self.auth_token)) as reply:
                if reply.status >= 300:
                    raise SmsRefused(f"HTTP {reply.status}")


def from_env(environ: dict | None = None) -> TwilioSms | None:
    environ = os.environ if environ is None else environ
    number = environ.get("TWILIO_NUMBER") or ""
    sender = environ.get("TWILIO_SMS_FROM") or (number if number and not number.startswith("whatsapp:") else "")
    if not (environ.get("TWILIO_ACCOUNT_SID") and environ.get("TWILIO_AUTH_TOKEN") and sender):
        return None
    return TwilioSms(environ["TWILIO_ACCOUNT_SID"], environ["TWILIO_AUTH_TOKEN"], sender,
                     environ.get("TWILIO_API_URL") or DEFAULT_API_URL)
