"""Reading what a client sends to the agenda's HTML pages (the person's booking page, the
mediator's space), whatever the bytes: one place that turns every malformed request into
`Unreadable` (400) or `TooLarge` (413), for each page to answer in French.

`headers_middleware` refuses first a Content-Type that cannot be parsed (non-ASCII bytes,
an unknown charset): aiohttp reads it lazily, in request.post(), .json(), .multipart()
and .content_type, and raises there with errors no handler expects.
"""
from __future__ import annotations

import codecs
from typing import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web
from multidict import MultiDict

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 200
MULTIPART_OVERHEAD = 64 * 1024  # the text fields and the parts' headers beside the file


class Unreadable(Exception):
    status = 400


class TooLarge(Unreadable):
    status = 413

    def __init__(self, field: str = ""):
        super().__init__(field)
        self.field = field  # the multipart part that was too large ("": the body)


def headers_readable(request: web.BaseRequest) -> bool:
    try:
        charset = request.charset  # parses the whole Content-Type (and caches it)
        if charset:
            codecs.lookup(charset)
    except (UnicodeError, ValueError, LookupError):
        return False
    return True


@web.middleware
async def headers_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    if not headers_readable(request):
        raise web.HTTPBadRequest()  # the outer middlewares answer it in French, as any 400
    return await handler(request)


async def _read(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge()
    raw = bytearray()
    while chunk := await request.content.readany():  # read() may return a part only
        raw += chunk
        if len(raw) > limit:
            raise TooLarge()
    return bytes(raw)


async def read_form(request: web.Request, limit: int) -> MultiDict:
    """The fields of a form our pages send: url-encoded UTF-8, at most `limit` bytes."""
    if request.content_type != FORM or (request.charset or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise Unreadable()
    raw = await _read(request, limit)
    try:
        return MultiDict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except (UnicodeDecodeError, ValueError):
        raise Unreadable() from None


# What aiohttp's multipart reader raises on a body that breaks its rules: a missing, wrong or
# too long boundary (ValueError), a truncated body (AssertionError "Reading after EOF"), an
# unknown Content-Transfer-Encoding (RuntimeError); bytes that are not UTF-8 (UnicodeDecodeError,
# a ValueError); KeyError as before.
_MULTIPART_ERRORS = (ValueError, AssertionError, RuntimeError, KeyError)


async def read_multipart(request: web.Request, text_fields: tuple[str, ...], file_field: str, max_file: int,
                         max_text: int = 1000) -> tuple[dict[str, str], bytes | None]:
    """A multipart/form-data body: the named text fields (UTF-8, `max_text` bytes each) and
    one file read up to `max_file` bytes; every other part is skipped unread."""
    if request.content_type != "multipart/form-data":
        raise Unreadable()
    if request.content_length is not None and request.content_length > max_file + MULTIPART_OVERHEAD:
        raise TooLarge(file_field)
    fields: dict[str, str] = {}
    upload = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == file_field and part.filename:
                upload = await _part_bytes(part, max_file, file_field) or None
            elif isinstance(part, BodyPartReader) and part.name in text_fields and part.name not in fields:
                # Read raw and bounded, then decoded (base64, gzip…): no part is read whole.
                value = part.decode(await _part_bytes(part, max_text, part.name))
                if len(value) > max_text:
                    raise TooLarge(part.name)
                fields[part.name] = value.decode("utf-8")
            else:
                await part.release()
    except _MULTIPART_ERRORS:
        raise Unreadable() from None
    return fields, upload


async def _part_bytes(part: BodyPartReader, limit: int, name: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise TooLarge(name)
    return bytes(data)
