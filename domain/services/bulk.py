"""Multi-row statements the ORM does not write: INSERT ... RETURNING ids, UPDATE of many rows, each row with its
own values, in one statement, and SELECT of the rows whose key is in a list (PostgreSQL and SQLite alike).

Values go through each field's `to_db_value`, as Tortoise's own inserts do. The worker's group commit
(`domain/services/runs.py`) and bulk creation use them to write a batch of tasks in a constant number of statements.

On PostgreSQL each column travels as one array parameter (`unnest($1::uuid[], $2::text[], ...)`), or as one value
when every row has the same, so a statement's text depends on its columns only, never on how many rows it writes:
asyncpg prepares it once per connection and PostgreSQL plans it once, where a VALUES list of N rows would be a new
statement for every batch size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any, Literal, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import DatetimeField, Field, JSONField, UUIDField
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.models import Model

__all__ = ["array_types", "insert_rows", "select_in", "update_rows"]

M = TypeVar("M", bound=Model)

#: Most parameters SQLite takes in one statement (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
_SQLITE_MAX_PARAMS = 32766


def _db_value(model: type[Model], name: str, value: Any) -> Any:
    return model._meta.fields_map[name].to_db_value(value, model)


@functools.cache
def _pg_converter(model: type[Model], name: str) -> Callable[[Any], Any] | None:
    """`_converter` for asyncpg, or None where asyncpg takes the value as it is: a UUID column takes UUID objects
    and strings alike (formatting a UUID as text in Python costs more than asyncpg's parsing it)."""
    if isinstance(model._meta.fields_map[name], UUIDField):
        return None
    return _converter(model, name)


@functools.cache
def _converter(model: type[Model], name: str) -> Callable[[Any], Any]:
    """The field's `to_db_value`, with a shortcut for the values it would pass through unchanged.

    Batches convert tens of thousands of values; for a field without validators, a value of exactly the
    field's type (None or an aware datetime, a member of the field's own enum, a dict or list for JSON) comes out of
    `to_db_value` as it went in (JSON: encoded), so it skips the call. Anything else takes the field's own path.
    """
    field = model._meta.fields_map[name]
    slow = functools.partial(field.to_db_value, instance=model)
    if isinstance(field, UUIDField):
        return lambda value: value and str(value)  # UUIDField.to_db_value itself
    if isinstance(field, JSONField) and not field.validators:
        encode = field.encoder
        return lambda value: encode(value) if type(value) in (dict, list) else slow(value)
    if isinstance(field, CharEnumFieldInstance):
        enum = field.enum_type
        return lambda value: str(value.value) if type(value) is enum else slow(value)
    if isinstance(field, IntEnumFieldInstance) and not field.validators:
        int_enum = field.enum_type
        return lambda value: int(value.value) if type(value) is int_enum else slow(value)
    if isinstance(field, DatetimeField) and not field.validators:
        # None passes through too: `instance` is the model class, so auto_now never fills a value in here.
        return lambda value: value if value is None or (
            type(value) is datetime and value.utcoffset() is not None) else slow(value)
    if type(field).to_db_value is Field.to_db_value and not field.validators:
        exact = field.field_type
        return lambda value: value if value is None or type(value) is exact else slow(value)
    return slow


def _pg_params(
    model: type[Model], names: Sequence[str], rows: Sequence[Any], getter: Callable[[str], Callable[[Any], Any]]
) -> tuple[list[Any], tuple[bool, ...]]:
    """The parameters of a multi-row statement, one per column of `names`: a single value when every row has the
    same (`shared`: converted once, and one value for asyncpg to encode instead of one per row), else an array of
    every row's value. The first column is always an array: it carries the rows.

    Rows of one batch share most values (the same moment, status, reason, workspace): an end of 200 tasks sends
    a third of the values it would send as arrays alone. JSON values count as shared only when they are the same
    object (equal is not enough: 1 and 1.0 are equal but encode differently).

    `getter(name)` reads one column of a row (`operator.attrgetter` for instances, `itemgetter` for dicts): with
    `map`, reading and comparing tens of thousands of values stays in C.
    """
    params: list[Any] = []
    shared: list[bool] = []
    for i, name in enumerate(names):
        values = list(map(getter(name), rows))
        convert = _pg_converter(model, name)
        first = values[0]
        if i and (all(v is first for v in values) if _is_json(model, name) else values.count(first) == len(values)):
            params.append(first if convert is None else convert(first))
            shared.append(True)
        else:
            params.append(values if convert is None else list(map(convert, values)))
            shared.append(False)
    return params, tuple(shared)


@functools.cache
def _is_json(model: type[Model], name: str) -> bool:
    return isinstance(model._meta.fields_map[name], JSONField)


def _pg_sources(model: type[Model], names: tuple[str, ...], shared: tuple[bool, ...]) -> tuple[dict[str, str], str]:
    """Per column, the SQL expression of its value (`v."col"` from the unnested arrays, `$n::type` when shared),
    and the `unnest(...) AS v(...)` clause of the array columns."""
    column = model._meta.fields_db_projection
    source, arrays, alias = {}, [], []
    for i, (name, one) in enumerate(zip(names, shared, strict=True), 1):
        if one:
            source[name] = f"${i}::{_pg_type(model, name)}"
        else:
            source[name] = f'v."{column[name]}"'
            arrays.append(f"${i}::{_pg_type(model, name)}[]")
            alias.append(f'"{column[name]}"')
    return source, f"unnest({', '.join(arrays)}) AS v({', '.join(alias)})"


@functools.lru_cache(maxsize=256)
def _pg_insert_sql(model: type[Model], names: tuple[str, ...], generated: str | None, shared: tuple[bool, ...]) -> str:
    meta = model._meta
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    source, rows = _pg_sources(model, names, shared)
    returning = f' RETURNING "{generated}"' if generated else ""
    return (f'INSERT INTO "{meta.db_table}" ({columns}) SELECT {", ".join(source[n] for n in names)} FROM {rows}'
            f"{returning}")


@functools.lru_cache(maxsize=256)
def _pg_update_sql(model: type[Model], names: tuple[str, ...], where: tuple[str, ...], shared: tuple[bool, ...]) -> str:
    meta = model._meta
    column = {name: meta.fields_db_projection[name] for name in (*names, *where)}
    pk = names[0]
    source, rows = _pg_sources(model, names, shared)
    conditions = [f't."{column[pk]}" = {source[pk]}']
    conditions += [f't."{column[name]}" = ${len(names) + i}' for i, name in enumerate(where, 1)]
    assignments = ", ".join(f'"{column[n]}" = {source[n]}' for n in names[1:])
    return (f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM {rows} '
            f'WHERE {" AND ".join(conditions)} RETURNING t."{column[pk]}"')


def _pg_type(model: type[Model], name: str) -> str:
    return str(model._meta.fields_map[name].get_for_dialect("postgres", "SQL_TYPE"))


def array_types(models: Sequence[type[Model]]) -> list[str]:
    """The PostgreSQL array types these statements may bind for `models`' columns (`UUID[]`, `JSONB[]`, ...)."""
    found = {f"{_pg_type(model, name)}[]" for model in models for name in model._meta.fields_db_projection}
    return sorted(found)


async def insert_rows(conn: BaseDBAsyncClient, objs: Sequence[M]) -> None:
    """INSERT `objs` (all of one model; `rows.build()` makes them cheaply) in one statement (on SQLite, one
    per 32766 values); a generated primary key is set on each from RETURNING."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    generated = meta.db_pk_column if meta.fields_map[meta.pk_attr].generated else None
    names = [name for name in meta.fields_db_projection if not (generated and name == meta.pk_attr)]
    if conn.capabilities.dialect == "postgres":
        chunks = [objs]
    else:  # SQLite takes at most 32766 parameters per statement
        size = max(1, _SQLITE_MAX_PARAMS // len(names))
        chunks = [objs[i:i + size] for i in range(0, len(objs), size)]
    for chunk in chunks:
        if conn.capabilities.dialect == "postgres":
            values, shared = _pg_params(model, names, chunk, attrgetter)
            sql = _pg_insert_sql(model, tuple(names), generated, shared)
        else:
            sql, values = _values_insert(model, names, chunk, generated)
        if generated is None:
            await conn.execute_query(sql, values)
            continue
        returned = await conn.execute_query_dict(sql, values)
        # Rows are numbered in the order given; RETURNING's own order is not promised, so sort.
        for obj, pk in zip(chunk, sorted(row[generated] for row in returned), strict=True):
            setattr(obj, meta.pk_attr, pk)
    for obj in objs:
        obj._saved_in_db = True


def _values_insert(model: type[Model], names: Sequence[str], objs: Sequence[Model],
                   generated: str | None) -> tuple[str, list[Any]]:
    """SQLite's INSERT: a VALUES list with a placeholder per value."""
    meta = model._meta
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    values = [_db_value(model, name, getattr(obj, name)) for obj in objs for name in names]
    rows = ", ".join([f"({', '.join('?' * len(names))})"] * len(objs))
    returning = f' RETURNING "{generated}"' if generated else ""
    return f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {rows}{returning}', values


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
    names = (pk, *(name for name in rows[0] if name != pk))
    where = where or {}
    if conn.capabilities.dialect == "postgres":
        values, shared = _pg_params(model, names, rows, itemgetter)
        sql = _pg_update_sql(model, names, tuple(where), shared)
        values += [_db_value(model, name, value) for name, value in where.items()]
    else:
        sql, values = _values_update(model, names, rows, where)
    returned = await conn.execute_query_dict(sql, values)
    column = meta.fields_db_projection[pk]
    return {str(row[column]) for row in returned}


def _values_update(model: type[Model], names: Sequence[str], rows: Sequence[Mapping[str, Any]],
                   where: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """SQLite's UPDATE ... FROM a VALUES list, whose columns SQLite names column1, column2..."""
    meta = model._meta
    values: list[Any] = []
    tuples = []
    for row in rows:
        values.extend(_db_value(model, name, row[name]) for name in names)
        tuples.append(f"({', '.join('?' * len(names))})")
    column = {name: meta.fields_db_projection[name] for name in names}
    source = {name: f"v.column{i + 1}" for i, name in enumerate(names)}
    conditions = [f't."{column[names[0]]}" = {source[names[0]]}']
    for name, value in where.items():
        values.append(_db_value(model, name, value))
        conditions.append(f't."{meta.fields_db_projection[name]}" = ?')
    assignments = ", ".join(f'"{column[n]}" = {source[n]}' for n in names[1:])
    sql = (f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES {", ".join(tuples)}) AS v '
           f'WHERE {" AND ".join(conditions)} RETURNING "{column[names[0]]}"')
    return sql, values


@functools.lru_cache(maxsize=512)
def _select_sql(model: type[Model], columns: tuple[str, ...] | None, key: str, where: tuple[str, ...], lock: str | None,
                dialect: str, keys: int) -> str:
    meta = model._meta
    column = meta.fields_db_projection
    selected = "*" if columns is None else ", ".join(f'"{column[name]}"' for name in columns)
    if dialect == "postgres":
        conditions = [f'"{column[key]}" = ANY($1::{_pg_type(model, key)}[])']
        conditions += [f'"{column[name]}" = ${i}' for i, name in enumerate(where, 2)]
    else:
        conditions = [f'"{column[key]}" IN ({", ".join("?" * keys)})'] + [f'"{column[name]}" = ?' for name in where]
    # SQLite has one writer at a time: the transaction itself is the lock.
    locking = {None: "", "update": " FOR UPDATE", "skip locked": " FOR UPDATE SKIP LOCKED"}[
        lock if dialect == "postgres" else None]
    return f'SELECT {selected} FROM "{meta.db_table}" WHERE {" AND ".join(conditions)}{locking}'


async def select_in(
    conn: BaseDBAsyncClient,
    model: type[Model],
    key: str,
    values: Sequence[Any],
    *,
    where: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
    lock: Literal["update", "skip locked"] | None = None,
) -> list[Any]:
    """The rows of `model` whose field `key` is one of `values` and which meet `where` (field == value), read by
    column name, `row["id"]` (`rows.load` makes an instance of them).

    `lock` takes their row locks (FOR UPDATE, optionally skipping rows another transaction holds) on PostgreSQL.
    There the statement's text does not change with the number of values (one array parameter), unlike the ORM's
    IN list, so it is prepared and planned once.
    """
    if not values:
        return []
    where = where or {}
    dialect = conn.capabilities.dialect
    if dialect == "postgres":
        convert = _pg_converter(model, key)
        keys = list(values) if convert is None else [convert(value) for value in values]
    else:
        keys = [_converter(model, key)(value) for value in values]
    sql = _select_sql(model, None if columns is None else tuple(columns), key, tuple(where), lock, dialect,
                      0 if dialect == "postgres" else len(keys))
    params: list[Any] = [keys] if dialect == "postgres" else keys
    params += [_db_value(model, name, value) for name, value in where.items()]
    # The driver's own rows (asyncpg's Record, sqlite3.Row): `execute_query_dict` copies each into a dict, 8 us per
    # row of twenty columns, more than the rest of a claim's reading of it.
    return list((await conn.execute_query(sql, params))[1])
