"""The one store: SQLAlchemy models (one module per domain), engines (SQLite | PostgreSQL),
Alembic migrations, and the durable job queue beside the changes that cause its jobs."""
