"""The one store: SQLAlchemy models, engines (SQLite | PostgreSQL) and Alembic migrations."""
