"""The outbox, and room for the encrypted personal data of the bookings.

- outbox: the messages a booking, a cancellation or a move causes (outbox.py), written in
  the same transaction, delivered by the sender (sender.py) with retries.
- bookings.person_name, person_email, person_phone become Text: they now hold Fernet tokens
  (sealed.py), longer than the values. Rows written before stay readable in clear until
  `make rotate` (python -m bot.agenda rotate-keys) encrypts them.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.alter_column("person_name", type_=sa.Text, existing_type=sa.String(120), existing_nullable=False)
        batch.alter_column("person_email", type_=sa.Text, existing_type=sa.String(254), existing_nullable=True)
        batch.alter_column("person_phone", type_=sa.Text, existing_type=sa.String(32), existing_nullable=True)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id")),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id")),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
        sa.Column("attachments", sa.Text),
        sa.Column("send_after", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    )
    op.create_index("ix_outbox_booking_id", "outbox", ["booking_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_due", "outbox")
    op.drop_index("ix_outbox_booking_id", "outbox")
    op.drop_table("outbox")
    with op.batch_alter_table("bookings") as batch:
        batch.alter_column("person_phone", type_=sa.String(32), existing_type=sa.Text, existing_nullable=True)
        batch.alter_column("person_email", type_=sa.String(254), existing_type=sa.Text, existing_nullable=True)
        batch.alter_column("person_name", type_=sa.String(120), existing_type=sa.Text, existing_nullable=False)
