"""Alembic migrations of the sdgbot schema, run programmatically by `bot.storage.db.upgrade`."""
