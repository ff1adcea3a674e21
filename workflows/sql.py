"""Plain INSERT and UPDATE statements for the engine's per-step hot path, sent in one batch.

Each step's transition writes a step row, a few events and the instance row. Through the ORM,
compiling those statements cost more CPU than PostgreSQL spent running them (measured: ~7,000
Python calls per step), and each was a round trip of its own. These helpers build the same SQL
from the models' metadata, adapt every value with the field's own ``get_db_prep_value`` (so they
are correct on PostgreSQL and SQLite alike), and collect the statements in a ``Batch``: on
PostgreSQL the batch goes out as one multi-statement query (one round trip, client-side binding),
elsewhere statement by statement. Reads and everything off the hot path use the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
import sys
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.expressions import Col

from workflows.core import values


@lru_cache(maxsize=None)
def _columns(model: type[models.Model]) -> tuple[str, tuple[models.Field, ...], str]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField)))
    return connection.ops.quote_name(meta.db_table), fields, connection.ops.quote_name(meta.pk.column)


def _prep(field: models.Field, value: Any) -> Any:
    return field.get_db_prep_value(value, connection, prepared=False)


@lru_cache(maxsize=None)
def column(model: type[models.Model], name: str) -> str:
    """A field's quoted column name, for conditions written by hand."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


@lru_cache(maxsize=None)
def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def value(model: type[models.Model], name: str, raw: Any) -> Any:
    """``raw`` as the database stores it in that field (a UUID is text on SQLite)."""
    return _prep(model._meta.get_field(name), raw)


@lru_cache(maxsize=None)
def _reader(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, list]:
    """The column list and, per column, the converters Django's compiler would apply."""
    meta = model._meta
    fields = [meta.get_field(n) for n in names]
    cols = []
    for f in fields:
        col = Col(meta.db_table, f)
        cols.append((col, connection.ops.get_db_converters(col) + f.get_db_converters(connection)))
    return ", ".join(connection.ops.quote_name(f.column) for f in fields), cols


class Select:
    """A SELECT built by ``selecting``: run it alone (``select``) or in a ``Batch`` with others,
    then ``rows(raw)`` converts what came back like the ORM would."""

    __slots__ = ("statement", "params", "converters")

    def __init__(self, statement: str, params: list[Any], converters: list) -> None:
        self.statement, self.params, self.converters = statement, params, converters

    def add_to(self, batch: Batch) -> int:
        return batch.add(self.statement, self.params, returns=True)

    def run(self) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.statement, self.params)
            return self.rows(cursor.fetchall())

    def rows(self, raw: list[tuple]) -> list[tuple]:
        converters = self.converters
        if not any(funcs for _, funcs in converters):
            return raw
        converted = []
        for row in raw:
            values = []
            for value, (col, funcs) in zip(row, converters):
                for func in funcs:
                    value = func(value, col, connection)
                values.append(value)
            converted.append(tuple(values) + tuple(row[len(converters) :]))
        return converted


def selecting(
    model: type[models.Model],
    names: tuple[str, ...],
    where: Mapping[str, Any],
    *,
    order_by: str = "",
    for_update: bool = False,
    convert: Mapping[str, Any] | None = None,
    also: tuple[str, list[Any]] | None = None,
    extra: tuple[str, list[Any]] | None = None,
) -> Select:
    """SELECT ``names`` (field names) of the rows matching ``where`` (field name = value) and the
    SQL condition ``also`` (text, params; built by the engine, never from input), converted like the
    ORM converts them, or by ``convert[name](raw value)`` where given.

    ``for_update`` locks the rows where the database can (SQLite's IMMEDIATE transactions already
    serialise writers). ``extra`` is one more SQL expression (text, params; the engine's own)
    returned as the last value of each row.
    """
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns, converters = _reader(model, names)
    if convert:
        converters = [
            (col, [lambda value, col, conn, f=convert[name]: f(value)] if name in convert else funcs)
            for name, (col, funcs) in zip(names, converters)
        ]
    conditions, params = [], []
    if extra:
        columns += ", " + extra[0]
        params.extend(extra[1])
    for name, value in where.items():
        field = meta.get_field(name)
        conditions.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(_prep(field, value))
    if also:
        conditions.append(also[0])
        params.extend(also[1])
    statement = f"SELECT {columns} FROM {table} WHERE {' AND '.join(conditions)}"
    if order_by:
        statement += f" ORDER BY {connection.ops.quote_name(meta.get_field(order_by).column)}"
    if for_update and connection.features.has_select_for_update:
        # NO KEY: the row's key never changes, and a plain FOR UPDATE would also block the KEY
        # SHARE lock that inserting a row referring to it takes (a message into its inbox, from
        # a transaction that holds another instance: two of those crossing would deadlock).
        statement += " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else " FOR UPDATE"
    return Select(statement, params, converters)


def select(model: type[models.Model], names: tuple[str, ...], where: Mapping[str, Any], **options: Any) -> list[tuple]:
    """Run one ``selecting`` query now."""
    return selecting(model, names, where, **options).run()


class Batch:
    """Statements to run together; ``run()`` returns the rows of those that asked for them."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list[Any], bool]] = []

    def add(self, sql: str, params: list[Any], *, returns: bool = False) -> int:
        self.statements.append((sql, params, returns))
        return len(self.statements) - 1

    def run(self) -> dict[int, list[tuple]]:
        results: dict[int, list[tuple]] = {}
        if not self.statements:
            return results
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(self.statements) > 1:
                cursor.execute("; ".join(s for s, _, _ in self.statements), [p for _, params, _ in self.statements for p in params])
                for index, (_, _, returns) in enumerate(self.statements):
                    if index:
                        cursor.nextset()
                    if returns:
                        results[index] = cursor.fetchall()
            else:
                for index, (statement, params, returns) in enumerate(self.statements):
                    cursor.execute(statement, params)
                    if returns:
                        results[index] = cursor.fetchall()
        self.statements.clear()
        return results


def insert(batch: Batch, objs: list[models.Model]) -> list[tuple[int, list[models.Model]]]:
    """Add INSERTs of model objects (all of one model) to ``batch``, as few statements as the
    backend allows. Returns (statement index, objects) pairs for ``assign_pks`` when the database
    generates the primary key."""
    if not objs:
        return []
    model = type(objs[0])
    table, fields, pk = _columns(model)
    generated = model._meta.pk not in fields
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    size = max(1, connection.ops.bulk_batch_size(list(fields), objs))
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: 10,000 items x 20 fields look it up once
    preps = [(f.attname, f.get_db_prep_value) for f in fields]
    pending = []
    for start in range(0, len(objs), size):
        chunk = objs[start : start + size]
        rows, params = [], []
        for obj in chunk:
            values = [prep(getattr(obj, name), conn, prepared=False) for name, prep in preps]
            rows.append(_placeholders(values))
            params.extend(v for v in values if _literal(v) is None)
        statement = f"INSERT INTO {table} ({cols}) VALUES {', '.join(rows)}"
        if generated:
            pending.append((batch.add(statement + f" RETURNING {pk}", params, returns=True), chunk))
        else:
            batch.add(statement, params)
    return pending


@lru_cache(maxsize=256)
def _row(literals: tuple[str | None, ...]) -> str:
    return "(" + ", ".join(literal or "%s" for literal in literals) + ")"


def _literal(value: Any) -> str | None:
    """NULL, '', booleans and small whole numbers written in the statement, not sent as
    parameters: psycopg caches a statement's parsing only up to 50 parameters, and a step's
    batched write is near that (a flag or a priority more once cost ~10% of a chain's speed)."""
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is str and not value:
        return "''"
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int and -1000 <= value <= 1000:
        return str(value)
    return None


def _placeholders(values: list[Any]) -> str:
    """The values ``_literal`` writes in the text, the others as placeholders."""
    return _row(tuple(_literal(v) for v in values))


def assign_pks(results: dict[int, list[tuple]], pending: list[tuple[int, list[models.Model]]]) -> None:
    for index, objs in pending:
        for obj, (value,) in zip(objs, results[index]):
            obj.pk = value
            obj._state.adding = False


def update(
    batch: Batch,
    model: type[models.Model],
    pk: Any,
    values: Mapping[str, Any],
    *,
    where: Mapping[str, Any] | None = None,
    returning: Iterable[str] = (),
) -> int:
    """Add an UPDATE of one row by primary key (and optional equality conditions) to ``batch``;
    returns its statement index (its RETURNING rows are in ``batch.run()[index]``)."""
    table, _, pk_col = _columns(model)
    meta = model._meta
    assignments, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        prepped = _prep(field, value)
        assignments.append(f"{connection.ops.quote_name(field.column)} = {'NULL' if prepped is None else '%s'}")
        if prepped is not None:
            params.append(prepped)
    conditions = [f"{pk_col} = %s"]
    params.append(_prep(meta.pk, pk))
    for name, value in (where or {}).items():
        field = meta.get_field(name)
        conditions.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(_prep(field, value))
    statement = f"UPDATE {table} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"
    returning = list(returning)
    if returning:
        statement += " RETURNING " + ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in returning)
    return batch.add(statement, params, returns=bool(returning))


def unstorable(value: Any, where: str = "") -> str | None:
    """Why the database cannot store this JSON value (NUL, lone surrogates, NaN, cycles, objects
    that are not JSON...), or None: a clear 400 instead of a database error."""
    return values.problem(value, where=where, max_bytes=sys.maxsize)
