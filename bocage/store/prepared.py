"""Statements that run for every post, compiled once and executed on the driver's cursor.

SQLAlchemy spends ~50 µs setting up each execution (execution context, cache lookup, result
object), against 5–10 µs for SQLite to run a single-row INSERT. Publishing a post runs eight
such statements: that bookkeeping was more than half its cost. A `Prepared` keeps what
SQLAlchemy is for (the SQL each dialect needs, the column types' conversions) and skips only
the per-execution bookkeeping. Use it for hot statements (single-row writes, the home page
query); everything else stays plain SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ClauseElement, Dialect, Insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from bocage.store.models import UTCDateTime

REQUIRED = object()


@dataclass(frozen=True)
class _Bind:
    name: str
    default: Any  # REQUIRED when the caller must give it
    convert: Callable[[Any], Any] | None  # the column type's bind processor
    expanding: bool = False  # `IN` a list: one placeholder per value (see `_expanded`)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: tuple[_Bind, ...]
    positional: bool  # qmark (sqlite3) or named (psycopg) parameters
    dialect: Dialect
    result_types: tuple[Any, ...]  # each result column's SQLAlchemy type
    expanding: bool  # it has lists (`IN`), whose placeholders are written out per length


class Prepared:
    """A Core statement, compiled once per dialect, run on the DBAPI cursor of the session."""

    def __init__(self, statement: ClauseElement, *, keys: tuple[str, ...] = ()) -> None:
        # `keys`: for an INSERT, the columns the caller always gives (compiled once, so
        # the set of columns must not vary between executions).
        self.statement = statement
        self.keys = keys
        self._by_dialect: dict[str, _Compiled] = {}
        # SQL with its lists' placeholders written out, by dialect and list lengths.
        self._expanded: dict[tuple[str, tuple[int, ...]], str] = {}
        self._converters: dict[str, tuple[tuple[int, Callable[[Any], Any]], ...]] = {}

    def execute(self, session: Session, params: Mapping[str, Any]) -> Any:
        """Run with `params`; returns the driver's cursor (rows come back unconverted)."""
        return self._run(session, params)[0]

    def _run(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        connection = session.connection()
        compiled = self._compiled(connection.dialect)
        values = [self._value(bind, params) for bind in compiled.binds]
        driver = connection.connection.driver_connection
        assert driver is not None  # the session's connection is checked out: it is open
        cursor = driver.cursor()
        if compiled.expanding:
            sql = self._expanded_sql(compiled, values)
            flat = _flat if compiled.positional else _named
            cursor.execute(sql, flat(compiled.binds, values))
        elif compiled.positional:
            cursor.execute(compiled.sql, values)
        else:
            names = (bind.name for bind in compiled.binds)
            cursor.execute(compiled.sql, dict(zip(names, values, strict=True)))
        return cursor, compiled

    def _expanded_sql(self, compiled: _Compiled, values: list[Any]) -> str:
        """The SQL for these lists' lengths: `IN (?, ?, ?)` (SQLite) or `IN (%(ids_0)s, …)`
        (psycopg). An empty list would need SQLAlchemy's own empty-IN expression: refused."""
        lengths = tuple(
            len(value) for bind, value in zip(compiled.binds, values, strict=True) if bind.expanding
        )
        if 0 in lengths:
            raise ValueError("an empty list for an IN: skip the query instead")
        key = (compiled.dialect.name, lengths)
        sql = self._expanded.get(key)
        if sql is None:
            sql = compiled.sql
            for bind, value in zip(compiled.binds, values, strict=True):
                if bind.expanding:
                    marks = _placeholders(bind.name, len(value), compiled.positional)
                    sql = sql.replace(f"__[POSTCOMPILE_{bind.name}]", marks)
            self._expanded[key] = sql
        return sql

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT with `params`; its rows as tuples, converted by the column types as
        SQLAlchemy would (e.g. SQLite's text dates become datetimes)."""
        cursor, compiled = self._run(session, params)
        rows, converters = cursor.fetchall(), self._converters_for(compiled, cursor)
        if not converters:
            return rows
        # Only the columns that need it are converted: a page row has ~45 columns and a
        # handful of dates and JSON values (touching every value cost a page ~0.3 ms).
        converted = []
        for row in rows:
            values = list(row)
            for at, convert in converters:
                if values[at] is not None:
                    values[at] = convert(values[at])
            converted.append(tuple(values))
        return converted

    def _converters_for(
        self, compiled: _Compiled, cursor: Any
    ) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        """(column index, conversion) of the columns whose values need converting. Some
        conversions depend on the type the driver reports (e.g. psycopg's numerics), hence
        built at the first run, from the cursor's description."""
        dialect = compiled.dialect
        converters = self._converters.get(dialect.name)
        if converters is None:
            every = (
                _fast_processor(kind, dialect)
                or kind.dialect_impl(dialect).result_processor(dialect, column[1])
                for kind, column in zip(compiled.result_types, cursor.description, strict=True)
            )
            converters = self._converters[dialect.name] = tuple(
                (at, convert) for at, convert in enumerate(every) if convert is not None
            )
        return converters

    @staticmethod
    def _value(bind: _Bind, params: Mapping[str, Any]) -> Any:
        value = params.get(bind.name, bind.default)
        if value is REQUIRED:
            raise KeyError(f"a value is required for {bind.name!r}")
        if bind.convert is None or value is None:
            return value
        if bind.expanding:
            return [bind.convert(item) for item in value]
        return bind.convert(value)

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        # `compile` is typed as giving any `Compiled`; for a SELECT, INSERT or UPDATE it is the
        # dialect's SQL compiler.
        compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys) or None)
        compiler = cast(SQLCompiler, compiled)
        if isinstance(self.statement, Insert):
            # Column defaults are applied by SQLAlchemy's execution, which we skip.
            defaulted = [*compiler.insert_prefetch, *(compiler.postfetch or ())]
            if defaulted:
                missing = ", ".join(column.name for column in defaulted)
                raise ValueError(f"give these columns explicitly: {missing}")
        positional = bool(compiler.positional)
        names = (compiler.positiontup or ()) if positional else list(compiler.bind_names.values())
        by_name = {name: bind for bind, name in compiler.bind_names.items()}
        binds = tuple(self._bind(name, by_name[name], dialect) for name in names)
        # The compiler's own list of result columns (what SQLAlchemy's result objects read).
        result_types = tuple(column.type for column in compiler._result_columns)
        expanding = any(bind.expanding for bind in binds)
        return _Compiled(compiler.string, binds, positional, dialect, result_types, expanding)

    @staticmethod
    def _bind(name: str, bind: Any, dialect: Dialect) -> _Bind:
        default = bind.value if bind.value is not None or not bind.required else REQUIRED
        if bind.callable is not None:
            raise ValueError(f"bind parameter {name!r} has a callable value")
        # The dialect's own implementation of the type: e.g. psycopg wraps JSON values.
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        return _Bind(name, default, convert, bool(bind.expanding))


def _placeholders(name: str, count: int, positional: bool) -> str:
    if positional:
        return ", ".join("?" * count)
    return ", ".join(f"%({name}_{n})s" for n in range(count))


def _flat(binds: tuple[_Bind, ...], values: list[Any]) -> list[Any]:
    """Positional parameters, each list's values in its place."""
    flat: list[Any] = []
    for bind, value in zip(binds, values, strict=True):
        if bind.expanding:
            flat.extend(value)
        else:
            flat.append(value)
    return flat


def _named(binds: tuple[_Bind, ...], values: list[Any]) -> dict[str, Any]:
    """Named parameters, each list's values as `name_0`, `name_1`, … (see `_placeholders`)."""
    named: dict[str, Any] = {}
    for bind, value in zip(binds, values, strict=True):
        if bind.expanding:
            named.update((f"{bind.name}_{n}", item) for n, item in enumerate(value))
        else:
            named[bind.name] = value
    return named


@lru_cache(maxsize=65_536)
def _from_sqlite_text(value: str) -> datetime:
    # Cached: pages show the same posts again and again (datetimes are immutable).
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _fast_processor(kind: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """SQLite keeps dates as text (`2026-12-01 22:23:51.966000`, always UTC here): read with
    `datetime.fromisoformat` (C code) rather than SQLAlchemy's regular expression, ten
    times slower, which made date parsing a fifth of a timeline page's time."""
    if dialect.name == "sqlite" and isinstance(kind, UTCDateTime):
        return _from_sqlite_text
    return None
