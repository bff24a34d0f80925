"""Alembic environment: always driven with a live connection by bocage.store.migrate."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from bocage.store.models import Base, UTCDateTime


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Our UTCDateTime only changes Python-side conversion; the column is a plain timestamp.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
