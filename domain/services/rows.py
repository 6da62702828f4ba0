"""Model instances made and changed without the ORM's per-field work, for the rows the engine writes and reads in
batches: `build` (a new row, as `Model.construct`), `load` (some columns of a stored row, as `Model._init_from_db`)
and `assign` (new field values, as `setattr`). Each works out once per model what Tortoise works out per call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise.models import Model

__all__ = ["assign", "build", "load"]

M = TypeVar("M", bound=Model)


@functools.cache
def _defaults(model: type[Model]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """`Model.construct`'s defaults of `model`'s fields, worked out once: fixed values, and factories to call."""
    meta = model._meta
    fixed: dict[str, Any] = {"_partial": False, "_saved_in_db": False, "_custom_generated_pk": False}
    factories = []
    for name in meta.fields - meta.fetch_fields:
        field = meta.fields_map[name]
        default = field.default
        if callable(default) and not inspect.iscoroutinefunction(default):
            factories.append((name, default))
        elif default is not None and not inspect.iscoroutinefunction(default):
            fixed[name] = default
        else:
            fixed[name] = field.get_db_default_value() if field.has_db_default() else None
    return fixed, tuple(factories)


def build(model: type[M], **values: Any) -> M:
    """`model.construct(**values)` for values of data fields and foreign-key ids (`workspace_id=`, not
    `workspace=`), with the defaults worked out once per model instead of once per instance.

    The worker builds a handful of rows per task (execution, events, log lines) for `insert_rows`.
    """
    fixed, factories = _defaults(model)
    obj = model.__new__(model)
    state = obj.__dict__
    state.update(fixed)
    for name, make in factories:
        if name not in values:
            state[name] = make()
    state.update(values)
    state["_await_when_save"] = {}
    return obj


@functools.lru_cache(maxsize=64)
def _loaders(model: type[Model], columns: tuple[str, ...]) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
    """For each column: the attribute it fills and how `Model._init_from_db` converts its value (None: as it is)."""
    meta = model._meta
    native = {key for key, _, _ in meta.db_native_fields}
    by_type = {key: field.field_type for key, _, field in meta.db_default_fields}
    loaders = []
    for column in columns:
        field = meta.fields_map[column]
        convert: Callable[[Any], Any] | None
        if column in native:
            convert = None
        elif column in by_type:
            make = by_type[column]
            convert = lambda value, make=make: value if value is None else make(value)  # noqa: E731
        else:
            convert = field.to_python_value
        loaders.append((column, meta.fields_db_projection_reverse.get(column, column), convert))
    return tuple(loaders)


def load(model: type[M], row: Mapping[str, Any], columns: Sequence[str]) -> M:
    """An instance of `model` read from `row` (keyed by column, as `select_in` returns it), converted as
    `Model._init_from_db` converts, for only `columns`: the others are not set, so reading one raises
    AttributeError instead of giving a default, and the instance is marked partial as the ORM's `.only()` does."""
    obj = model.__new__(model)
    state = obj.__dict__
    meta = model._meta
    state.update(_partial=True, _saved_in_db=True, _await_when_save={},
                 _custom_generated_pk=meta.db_pk_column not in meta.generated_db_fields)
    for column, attribute, convert in _loaders(model, tuple(columns)):
        value = row[column]
        state[attribute] = value if convert is None else convert(value)
    return obj


@functools.cache
def _relations(model: type[Model]) -> frozenset[str]:
    meta = model._meta
    return frozenset(meta.fk_fields | meta.o2o_fields | meta.backward_fk_fields | meta.backward_o2o_fields
                     | meta.m2m_fields)


def assign(obj: Model, values: Mapping[str, Any]) -> None:
    """`setattr(obj, name, value)` for each of `values`, written straight to the instance for plain fields (what
    Tortoise's `__setattr__` does for them, after two checks per call); relations still go through `setattr`."""
    if not _relations(type(obj)).isdisjoint(values):
        for name, value in values.items():
            setattr(obj, name, value)
        return
    state = obj.__dict__
    pending = state.get("_await_when_save")
    if pending:  # an async default not yet awaited is replaced, as __setattr__ does
        for name in values:
            pending.pop(name, None)
    state.update(values)
