"""The mediator's space: weekly hours, closed periods, calendar feed, busy times,
appointment outcomes, sign-in links and sessions (see bot/agenda/space/).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mediator_hours",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("starts", sa.String(5), nullable=False),
        sa.Column("ends", sa.String(5), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
    )
    op.create_index("ix_mediator_hours_mediator_id", "mediator_hours", ["mediator_id"])
    op.create_table(
        "mediator_exceptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("label", sa.String(80), nullable=False),
    )
    op.create_index("ix_mediator_exceptions_mediator_id", "mediator_exceptions", ["mediator_id"])
    op.create_table(
        "mediator_accounts",
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), primary_key=True),
        sa.Column("session_minutes", sa.Integer, nullable=False),
        sa.Column("feed_token_hash", sa.String(64), unique=True),
        sa.Column("busy_url", sa.String(500)),
        sa.Column("busy_imported_at", sa.DateTime),
    )
    op.create_table(
        "busy_periods",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_busy_periods_mediator", "busy_periods", ["mediator_id", "starts_at"])
    op.create_table(
        "booking_outcomes",
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("marked_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "signin_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
    )
    op.create_table(
        "mediator_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mediator_sessions")
    op.drop_table("signin_links")
    op.drop_table("booking_outcomes")
    op.drop_index("ix_busy_periods_mediator", "busy_periods")
    op.drop_table("busy_periods")
    op.drop_table("mediator_accounts")
    op.drop_index("ix_mediator_exceptions_mediator_id", "mediator_exceptions")
    op.drop_table("mediator_exceptions")
    op.drop_index("ix_mediator_hours_mediator_id", "mediator_hours")
    op.drop_table("mediator_hours")
