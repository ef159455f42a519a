"""Alembic environment: the connection comes from bot/agenda/db.py (no alembic.ini)."""
from alembic import context

from bot.agenda.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
