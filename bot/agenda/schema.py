"""Tables of the agenda database (SQLAlchemy Core). Migrations live in
bot/agenda/migrations; a change here needs a new migration there.

Times are naive UTC datetimes: SQLite has no time zone type, and one convention for
both engines keeps the comparisons in SQL simple.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

mediators = sa.Table(
    "mediators", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("external_id", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("specialities", sa.JSON, nullable=False),      # domain codes
    sa.Column("sub_specialities", sa.JSON, nullable=False),
    sa.Column("modes", sa.JSON, nullable=False),             # phone, video, in_person
    sa.Column("address", sa.String(200), nullable=False),
    sa.Column("postal_code", sa.String(5), nullable=False),
    sa.Column("commune", sa.String(120), nullable=False),
    sa.Column("departement", sa.String(3), nullable=False),
    sa.Column("areas_served", sa.JSON, nullable=False),      # département codes
    sa.Column("languages", sa.JSON, nullable=False),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

slots = sa.Table(
    "slots", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
    sa.Column("starts_at", sa.DateTime, nullable=False),
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Column("modes", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="open"),  # open, booked, withdrawn
    sa.Column("hold_id", sa.String(36)),
    sa.Column("held_until", sa.DateTime),
    sa.Column("source", sa.String(16), nullable=False),      # demo, csv, ics, api
    sa.Column("source_uid", sa.String(255)),                 # iCalendar UID + start, for re-imports
    sa.UniqueConstraint("mediator_id", "source_uid", name="uq_slot_source"),
    sa.Index("ix_slots_search", "status", "starts_at"),
)

holds = sa.Table(
    "holds", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("slot_id", sa.Integer, sa.ForeignKey("slots.id"), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),       # active, confirmed, released
)

bookings = sa.Table(
    "bookings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(9), nullable=False, unique=True),
    sa.Column("slot_id", sa.Integer, sa.ForeignKey("slots.id"), nullable=False),
    sa.Column("hold_id", sa.String(36), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("secret_scheme", sa.String(16)),                 # hmac-sha256; NULL: legacy SHA-256
    sa.Column("calendar_token_hash", sa.String(64), unique=True),  # the .ics link; NULL: revoked
    sa.Column("conversation_key_hash", sa.String(64), index=True),  # keyed digest of the conversation
    # Encrypted at rest (sealed.py, migration 0003): Text, a token is longer than the value.
    sa.Column("person_name", sa.Text, nullable=False),
    sa.Column("person_email", sa.Text),
    sa.Column("person_phone", sa.Text),
    sa.Column("contact_consent_at", sa.DateTime, nullable=False),
    sa.Column("brief", sa.JSON, nullable=False),               # {"enc", "token"} (sealed.py)
    sa.Column("status", sa.String(16), nullable=False),        # confirmed, cancelled
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    # Belt and braces under the conditional updates: one live booking per slot.
    sa.Index("uq_live_booking_per_slot", "slot_id", unique=True,
             sqlite_where=sa.text("status = 'confirmed'"), postgresql_where=sa.text("status = 'confirmed'")),
)

# Wrong booking codes, counted per booking and per client (migration 0002): shared by every
# replica of the agenda, since they share this database.
code_attempts = sa.Table(
    "code_attempts", metadata,
    sa.Column("key", sa.String(80), primary_key=True),        # "booking:MED-…" or "client:<hmac>"
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_started", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime),
)

# Messages to send (migration 0003, outbox.py): written in the transaction of the booking, the
# cancellation or the move that causes them, delivered by the sender (sender.py). The recipient,
# the bodies and the attachments are encrypted (sealed.py); last_error never holds personal data.
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dedup_key", sa.String(200), nullable=False),  # one message per key and recipient
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), index=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id")),
    sa.Column("recipient_kind", sa.String(16), nullable=False),  # person, mediator
    sa.Column("channel", sa.String(8), nullable=False),          # email, sms
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text),
    sa.Column("attachments", sa.Text),                           # sealed JSON [[filename, type, base64]]
    sa.Column("send_after", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),          # pending, sending, sent, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("last_error", sa.String(200)),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
)

# ---- the mediator's space (migration 0004) --------------------------------------------
# Kept in tables of their own rather than new columns of mediators and bookings: the
# directory import and the booking rows stay as they were.

# Weekly recurring availability, in the mediator's local time, for one mode each.
mediator_hours = sa.Table(
    "mediator_hours", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False, index=True),
    sa.Column("weekday", sa.Integer, nullable=False),          # 0 Monday … 6 Sunday
    sa.Column("starts", sa.String(5), nullable=False),          # "HH:MM", local time
    sa.Column("ends", sa.String(5), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),           # phone, video, in_person
)

# Closed periods (holidays, a closed afternoon): no slot is generated inside them.
mediator_exceptions = sa.Table(
    "mediator_exceptions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False, index=True),
    sa.Column("starts_at", sa.DateTime, nullable=False),        # naive UTC
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Column("label", sa.String(80), nullable=False),
)

# One row per mediator who uses the space: session length, calendar feed, busy-times source.
mediator_accounts = sa.Table(
    "mediator_accounts", metadata,
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), primary_key=True),
    sa.Column("session_minutes", sa.Integer, nullable=False),
    sa.Column("feed_token_hash", sa.String(64), unique=True),   # NULL: no subscription (or revoked)
    sa.Column("busy_url", sa.String(500)),                      # re-read regularly when set
    sa.Column("busy_imported_at", sa.DateTime),
)

# The mediator's other commitments (times only, never their titles): no slot over them.
busy_periods = sa.Table(
    "busy_periods", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
    sa.Column("starts_at", sa.DateTime, nullable=False),
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Index("ix_busy_periods_mediator", "mediator_id", "starts_at"),
)

# Done or missed, as the mediator marks it after the appointment.
booking_outcomes = sa.Table(
    "booking_outcomes", metadata,
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), primary_key=True),
    sa.Column("outcome", sa.String(16), nullable=False),        # done, missed
    sa.Column("marked_at", sa.DateTime, nullable=False),
)

# Single-use sign-in links (keyed hash of the token), valid 15 minutes.
signin_links = sa.Table(
    "signin_links", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("used_at", sa.DateTime),
)

# Signed-in sessions (keyed hash of the cookie's random id).
mediator_sessions = sa.Table(
    "mediator_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)
