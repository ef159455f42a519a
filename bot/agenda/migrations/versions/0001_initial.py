"""Initial agenda schema: mediators, slots, holds, bookings.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mediators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("external_id", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("specialities", sa.JSON, nullable=False),
        sa.Column("sub_specialities", sa.JSON, nullable=False),
        sa.Column("modes", sa.JSON, nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("postal_code", sa.String(5), nullable=False),
        sa.Column("commune", sa.String(120), nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.Column("areas_served", sa.JSON, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("modes", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold_id", sa.String(36)),
        sa.Column("held_until", sa.DateTime),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_uid", sa.String(255)),
        sa.UniqueConstraint("mediator_id", "source_uid", name="uq_slot_source"),
    )
    op.create_index("ix_slots_search", "slots", ["status", "starts_at"])
    op.create_table(
        "holds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("slot_id", sa.Integer, sa.ForeignKey("slots.id"), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(9), nullable=False, unique=True),
        sa.Column("slot_id", sa.Integer, sa.ForeignKey("slots.id"), nullable=False),
        sa.Column("hold_id", sa.String(36), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("person_name", sa.String(120), nullable=False),
        sa.Column("person_email", sa.String(254)),
        sa.Column("person_phone", sa.String(32)),
        sa.Column("contact_consent_at", sa.DateTime, nullable=False),
        sa.Column("brief", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("uq_live_booking_per_slot", "bookings", ["slot_id"], unique=True,
                    sqlite_where=sa.text("status = 'confirmed'"), postgresql_where=sa.text("status = 'confirmed'"))


def downgrade() -> None:
    op.drop_index("uq_live_booking_per_slot", "bookings")
    op.drop_table("bookings")
    op.drop_table("holds")
    op.drop_index("ix_slots_search", "slots")
    op.drop_table("slots")
    op.drop_table("mediators")
