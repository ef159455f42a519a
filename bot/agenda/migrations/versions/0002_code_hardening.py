"""Booking codes: keyed hashes, a calendar token apart from the code, attempt counters.

- bookings.secret_scheme: "hmac-sha256" once the stored hash is keyed by AGENDA_SECRET_KEY;
  the existing rows are converted here (HMAC of their SHA-256: their codes keep working).
- bookings.calendar_token_hash: the .ics link's own token (NULL for older bookings: the link
  with the code in the URL is gone; their code still works in the conversation).
- code_attempts: wrong codes per booking and per client, and the lockouts.
- bookings.conversation_key_hash: which conversation made the booking (a keyed digest of a
  pseudonymous key), so that erasing the conversation reaches every booking it ever made.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from bot.agenda import references

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("secret_scheme", sa.String(16)))
        batch.add_column(sa.Column("calendar_token_hash", sa.String(64)))
        batch.add_column(sa.Column("conversation_key_hash", sa.String(64)))
        batch.create_unique_constraint("uq_bookings_calendar_token", ["calendar_token_hash"])
        batch.create_index("ix_bookings_conversation_key_hash", ["conversation_key_hash"])
    op.create_table(
        "code_attempts",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime),
    )
    bookings = sa.table("bookings", sa.column("id", sa.Integer), sa.column("secret_hash", sa.String),
                        sa.column("secret_scheme", sa.String))
    connection = op.get_bind()
    for row in connection.execute(sa.select(bookings.c.id, bookings.c.secret_hash)
                                  .where(bookings.c.secret_scheme.is_(None))).all():
        connection.execute(bookings.update().where(bookings.c.id == row.id).values(
            secret_hash=references.keyed(row.secret_hash), secret_scheme=references.SCHEME))


def downgrade() -> None:
    op.drop_table("code_attempts")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_index("ix_bookings_conversation_key_hash")
        batch.drop_constraint("uq_bookings_calendar_token", type_="unique")
        batch.drop_column("conversation_key_hash")
        batch.drop_column("calendar_token_hash")
        batch.drop_column("secret_scheme")
