"""Multi-row statements the ORM does not write: INSERT ... RETURNING ids and UPDATE of many rows, each row with its
own values, in one statement (PostgreSQL and SQLite alike).

Values go through each field's `to_db_value`, as Tortoise's own inserts do. The worker's group commit
(`domain/services/runs.py`) and bulk creation use them to write a batch of tasks in a constant number of statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

__all__ = ["insert_rows", "update_rows"]

M = TypeVar("M", bound=Model)


def _placeholders(conn: BaseDBAsyncClient) -> Any:
    if conn.capabilities.dialect == "postgres":
        return lambda i, cast="": f"${i}{cast}"
    return lambda i, cast="": "?"


def _db_value(model: type[Model], name: str, value: Any) -> Any:
    return model._meta.fields_map[name].to_db_value(value, model)


async def insert_rows(conn: BaseDBAsyncClient, objs: Sequence[M]) -> None:
    """INSERT `objs` (all of one model; `Model.construct()` builds them cheaply) in one statement; a generated
    primary key is set on each from RETURNING."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    generated = meta.db_pk_column if meta.fields_map[meta.pk_attr].generated else None
    names = [name for name in meta.fields_db_projection if not (generated and name == meta.pk_attr)]
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    mark = _placeholders(conn)
    values: list[Any] = []
    rows = []
    for obj in objs:
        marks = []
        for name in names:
            values.append(_db_value(model, name, getattr(obj, name)))
            marks.append(mark(len(values)))
        rows.append(f"({', '.join(marks)})")
    sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {", ".join(rows)}'
    if generated is None:
        await conn.execute_query(sql, values)
    else:
        returned = await conn.execute_query_dict(f'{sql} RETURNING "{generated}"', values)
        # Rows are numbered in VALUES order; RETURNING's own order is not promised, so sort.
        for obj, pk in zip(objs, sorted(row[generated] for row in returned), strict=True):
            setattr(obj, meta.pk_attr, pk)
    for obj in objs:
        obj._saved_in_db = True


async def update_rows(
    conn: BaseDBAsyncClient,
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    where: Mapping[str, Any] | None = None,
) -> set[Any]:
    """UPDATE many rows in one statement, each with its own values: `rows` map field names to values and all name
    the same fields, the primary key included. `where` adds conditions every row must meet (field == value).

    Returns:
        The primary keys, as strings, of the rows that were changed (those meeting `where`).
    """
    if not rows:
        return set()
    meta = model._meta
    pk = meta.pk_attr
    names = [pk, *(name for name in rows[0] if name != pk)]
    postgres = conn.capabilities.dialect == "postgres"
    mark = _placeholders(conn)
    values: list[Any] = []
    tuples = []
    for row in rows:
        marks = []
        for name in names:
            values.append(_db_value(model, name, row[name]))
            cast = f"::{meta.fields_map[name].get_for_dialect('postgres', 'SQL_TYPE')}" if postgres else ""
            marks.append(mark(len(values), cast))
        tuples.append(f"({', '.join(marks)})")
    column = {name: meta.fields_db_projection[name] for name in names}
    # SQLite names a VALUES list's columns column1, column2...; PostgreSQL takes them from the alias list.
    source = {name: (f'v."{column[name]}"' if postgres else f"v.column{i + 1}") for i, name in enumerate(names)}
    alias = "v(" + ", ".join(f'"{column[n]}"' for n in names) + ")" if postgres else "v"
    conditions = [f't."{column[pk]}" = {source[pk]}']
    for name, value in (where or {}).items():
        values.append(_db_value(model, name, value))
        conditions.append(f't."{meta.fields_db_projection[name]}" = {mark(len(values))}')
    assignments = ", ".join(f'"{column[n]}" = {source[n]}' for n in names if n != pk)
    sql = (f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES {", ".join(tuples)}) AS {alias} '
           f'WHERE {" AND ".join(conditions)} RETURNING {"t." if postgres else ""}"{column[pk]}"')
    returned = await conn.execute_query_dict(sql, values)
    return {str(row[column[pk]]) for row in returned}
