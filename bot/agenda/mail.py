"""E-mail out of the outbox: over SMTP with aiosmtplib (SMTP_URL, MAIL_FROM), or, with no
SMTP_URL (the default of `make run`), as .eml files under var/mail/ (0700, files 0600).

SMTP_URL: smtp://user:password@host:587 (STARTTLS, required when credentials are given;
offered by the server otherwise) or smtps://user:password@host:465 (TLS from the start).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.agenda.outbox import Message
from bot.paths import VAR

DEFAULT_MAIL_DIR = VAR / "mail"
DEFAULT_FROM = "Médiation Accueil <ne-pas-repondre@mediation-accueil.invalid>"


def build(message: Message, mail_from: str) -> EmailMessage:
    """A multipart message: plain text, its HTML alternative, the attachments."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = mail_from, message.recipient, message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="mediation-accueil")
    mail["Auto-Submitted"] = "auto-generated"  # no autoreply loops
    mail["Content-Language"] = "fr"
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    for filename, content_type, data in message.attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "text":
            mail.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail


@dataclass
class SmtpTransport:
    url: str
    mail_from: str = DEFAULT_FROM
    timeout: float = 30.0
    delivery = "smtp"

    async def send(self, message: Message) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        implicit = parts.scheme == "smtps"
        await aiosmtplib.send(
            build(message, self.mail_from), hostname=parts.hostname, port=parts.port or (465 if implicit else 587),
            username=username, password=password, use_tls=implicit,
            # Credentials never travel in clear: STARTTLS is required then; else taken if offered.
            start_tls=None if implicit or not username else True, timeout=self.timeout)


@dataclass
class FileTransport:
    """Development: each message becomes var/mail/<time>-<id>-<recipient kind>.eml."""
    directory: Path = DEFAULT_MAIL_DIR
    mail_from: str = DEFAULT_FROM
    delivery = "files"

    async def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        path = self.directory / f"{message.id:06d}-{message.recipient_kind}-{message.dedup_key.replace(':', '-')}.eml"
        data = bytes(build(message, self.mail_from))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        path.chmod(0o600)


def from_env(environ: dict | None = None) -> SmtpTransport | FileTransport:
    environ = os.environ if environ is None else environ
    mail_from = environ.get("MAIL_FROM") or DEFAULT_FROM
    if environ.get("SMTP_URL"):
        return SmtpTransport(environ["SMTP_URL"], mail_from)
    return FileTransport(Path(environ.get("MAIL_DIR") or DEFAULT_MAIL_DIR), mail_from)
