"""Plain INSERT and UPDATE statements for the engine's per-step hot path.

Each step's transition writes a step row, a few events and the instance row. Through the ORM,
compiling those statements cost more CPU than PostgreSQL spent running them (measured: ~7,000
Python calls per step). These helpers build the same SQL from the models' metadata and adapt
every value with the field's own ``get_db_prep_value``, so they stay correct on PostgreSQL and
SQLite alike. Reads and everything off the hot path use the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.db import connection, models


@lru_cache(maxsize=None)
def _columns(model: type[models.Model]) -> tuple[str, tuple[models.Field, ...], str]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField)))
    return connection.ops.quote_name(meta.db_table), fields, connection.ops.quote_name(meta.pk.column)


def _prep(field: models.Field, value: Any) -> Any:
    return field.get_db_prep_value(value, connection, prepared=False)


def insert(objs: list[models.Model]) -> None:
    """INSERT model objects (all of one model) in as few statements as the backend allows; sets
    the primary keys that the database generates."""
    if not objs:
        return
    model = type(objs[0])
    table, fields, pk = _columns(model)
    generated = model._meta.pk not in fields
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(1, connection.ops.bulk_batch_size(list(fields), objs))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([row] * len(chunk))}"
            params = [_prep(f, getattr(obj, f.attname)) for obj in chunk for f in fields]
            if generated:
                cursor.execute(sql + f" RETURNING {pk}", params)
                for obj, (value,) in zip(chunk, cursor.fetchall()):
                    obj.pk = value
                    obj._state.adding = False
            else:
                cursor.execute(sql, params)


def update(model: type[models.Model], pk: Any, values: Mapping[str, Any], *, where: Mapping[str, Any] | None = None, returning: Iterable[str] = ()) -> list[tuple] | int:
    """UPDATE one row by primary key (and optional equality conditions). Returns the rowcount,
    or the RETURNING rows when ``returning`` names columns."""
    table, _, pk_col = _columns(model)
    meta = model._meta
    assignments, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        assignments.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(_prep(field, value))
    conditions = [f"{pk_col} = %s"]
    params.append(_prep(meta.pk, pk))
    for name, value in (where or {}).items():
        field = meta.get_field(name)
        conditions.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(_prep(field, value))
    sql = f"UPDATE {table} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"
    returning = list(returning)
    if returning:
        sql += " RETURNING " + ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else cursor.rowcount
