"""aiohttp client of the agenda service, used by the action server.

Every failure the person should not see as a crash (service down, timeout, 5xx, bad
JSON) becomes AgendaUnavailable; a 4xx answer becomes AgendaRefused with its code
(slot_taken, booking_not_found_or_wrong_secret, …) so the dialogue can react.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

import aiohttp

DEFAULT_URL = "http://127.0.0.1:5056"


def conversation_key(sender_id: str) -> str:
    """The pseudonymous key the agenda knows a conversation by (it stores only a keyed
    digest of it): the same on the action server and the Rasa server."""
    return hashlib.sha256(f"conversation:{sender_id}".encode()).hexdigest()[:32]


class AgendaUnavailable(Exception):
    """The agenda service cannot answer now."""


class AgendaRefused(Exception):
    def __init__(self, status: int, code: str, message: str = ""):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class AgendaClient:
    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 5.0):
        self.base_url = (base_url or os.environ.get("AGENDA_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("AGENDA_TOKEN", "")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        # Who tries booking codes through this client (a digest of the conversation): the
        # agenda counts wrong codes per client with it (X-Client-Key).
        self.client_key: str | None = None

    @property
    def public_url(self) -> str:
        """Where a person's browser reaches the calendar file (a public proxy in production)."""
        return (os.environ.get("AGENDA_PUBLIC_URL") or self.base_url).rstrip("/")

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.client_key:
            headers["X-Client-Key"] = self.client_key
        try:
            async with aiohttp.ClientSession(timeout=self.timeout, headers=headers) as session:
                async with session.request(method, self.base_url + path, **kwargs) as reply:
                    if reply.status == 204:
                        return None
                    if reply.status >= 500:
                        raise AgendaUnavailable(f"agenda answered {reply.status}")
                    body = await reply.json(content_type=None)
                    if reply.status >= 400:
                        error = (body or {}).get("error") or {}
                        raise AgendaRefused(reply.status, error.get("code", "error"), error.get("message", ""))
                    return body
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise AgendaUnavailable(str(error) or type(error).__name__) from error

    async def search(self, domain: str | None, postal_code: str | None, mode: str | None,
                     exclude: list[int] = (), limit: int = 3) -> dict:
        params = {"limit": str(limit)}
        if domain:
            params["domain"] = domain
        if postal_code:
            params["postal_code"] = postal_code
        if mode:
            params["mode"] = mode
        if exclude:
            params["exclude"] = ",".join(str(slot_id) for slot_id in exclude)
        return await self._call("GET", "/api/slots", params=params)

    async def hold(self, slot_id: int, mode: str) -> dict:
        return await self._call("POST", f"/api/slots/{int(slot_id)}/hold", json={"mode": mode})

    async def release(self, hold_id: str) -> None:
        await self._call("DELETE", f"/api/holds/{hold_id}")

    async def confirm(self, hold_id: str, person: dict, brief: dict, conversation: str | None = None) -> dict:
        body = {"person": person, "brief": brief, **({"conversation": conversation} if conversation else {})}
        return await self._call("POST", f"/api/holds/{hold_id}/confirm", json=body)

    async def anonymise_conversation(self, conversation: str) -> list[str]:
        """Every booking the conversation made loses the person's data; their references."""
        body = await self._call("POST", "/api/conversations/anonymise", json={"conversation": conversation})
        return list((body or {}).get("anonymised") or [])

    async def booking(self, reference: str, secret: str) -> dict:
        return await self._call("GET", f"/api/bookings/{reference}", headers={"X-Booking-Secret": secret})

    async def cancel(self, reference: str, secret: str) -> dict:
        return await self._call("POST", f"/api/bookings/{reference}/cancel", json={"secret": secret})

    async def anonymise(self, reference: str, secret: str) -> dict:
        return await self._call("POST", f"/api/bookings/{reference}/anonymise", json={"secret": secret})

    async def reschedule(self, reference: str, secret: str, hold_id: str) -> dict:
        return await self._call("POST", f"/api/bookings/{reference}/reschedule",
                                json={"secret": secret, "hold_id": hold_id})

    def invitation_url(self, calendar_token: str) -> str:
        """The calendar file's link: its own revocable token, never the booking's code."""
        return f"{self.public_url}/public/calendar/{calendar_token}.ics"
