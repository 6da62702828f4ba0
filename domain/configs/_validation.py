"""Validating a raw executionConfig against its task type's model, with errors in API terms."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..enums import TaskType
from ..errors import ConfigInvalid, FieldError
from ._base import RULE_ERROR_TYPE
from ._secrets import is_secret_path
from .api_call import ApiCallConfig
from .browser_automation import BrowserAutomationConfig
from .data_extraction import DataExtractionConfig
from .ghl_action import GhlActionConfig
from .notification import NotificationConfig
from .reminder import ReminderConfig
from .report_generation import ReportGenerationConfig

__all__ = ["CONFIG_MODELS", "normalized", "validate_config"]

#: The executionConfig model of each task type.
CONFIG_MODELS: Mapping[TaskType, type[BaseModel]] = types.MappingProxyType(
    {
        TaskType.API_CALL: ApiCallConfig,
        TaskType.BROWSER_AUTOMATION: BrowserAutomationConfig,
        TaskType.DATA_EXTRACTION: DataExtractionConfig,
        TaskType.GHL_ACTION: GhlActionConfig,
        TaskType.NOTIFICATION: NotificationConfig,
        TaskType.REMINDER: ReminderConfig,
        TaskType.REPORT_GENERATION: ReportGenerationConfig,
    }
)


def validate_config(
    task_type: TaskType,
    raw: object,
    *,
    llm_configured: bool = True,
    ghl_configured: bool = True,
) -> BaseModel:
    """Check an executionConfig against its task type's model and return the model.

    Parameters:
      task_type: The task's type; picks the model from CONFIG_MODELS.
      raw: The executionConfig as decoded from JSON: a dict with camelCase keys.
      llm_configured: Whether TASKLOOM_LLM_BASE_URL is set; without it LLM extraction is refused.
      ghl_configured: Whether TASKLOOM_GHL_API_KEY is set; without it GHL_ACTION is refused.

    Raises:
      ConfigInvalid: With one FieldError per problem, its path the camelCase key path inside
        executionConfig (list indices as strings), e.g. `("steps", "2", "selector")`.

    Returns:
      The validated (frozen) config model.
    """
    model_class = CONFIG_MODELS[task_type]
    if not isinstance(raw, Mapping):
        raise ConfigInvalid([FieldError((), f"executionConfig must be a JSON object, not {_json_kind(raw)}")])
    problems: list[FieldError] = []
    if task_type is TaskType.GHL_ACTION and not ghl_configured:
        problems.append(
            FieldError(
                ("ghlAction",),
                "GoHighLevel is not configured on this server: "
                "set TASKLOOM_GHL_API_KEY to run GHL_ACTION tasks",
            )
        )
    if task_type is TaskType.DATA_EXTRACTION and not llm_configured and raw.get("instruction") is not None:
        problems.append(
            FieldError(
                ("instruction",),
                "LLM extraction is not configured on this server: set "
                "TASKLOOM_LLM_BASE_URL, or extract with 'fields' (CSS selectors)",
            )
        )
    model = None
    try:
        # by_name=False: only the camelCase keys of API.md are accepted, not the Python attribute names.
        model = model_class.model_validate(dict(raw), by_alias=True, by_name=False)
    except ValidationError as exc:
        problems.extend(_field_error(model_class, error) for error in exc.errors(include_url=False))
    if problems or model is None:
        raise ConfigInvalid(problems)
    return model


def normalized(model: BaseModel) -> dict[str, Any]:
    """The config as it is stored: JSON-safe, camelCase keys, defaults filled in, unset optional keys omitted.

    Parameters:
      model: A model from `validate_config` (or built directly).

    Returns:
      A dict that `validate_config` turns back into an equal model; datetimes are ISO 8601 strings.
    """
    return _drop_unset(model, model.model_dump(mode="json", by_alias=True))


def _drop_unset(model: object, dumped: Any) -> Any:
    # exclude_none would also strip nulls inside free JSON (an API_CALL body): drop model fields only.
    if isinstance(model, BaseModel) and isinstance(dumped, dict):
        out = {}
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            if value is None:
                continue
            key = field.alias or name
            out[key] = _drop_unset(value, dumped[key])
        return out
    if isinstance(model, list | tuple) and isinstance(dumped, list):
        return [_drop_unset(m, d) for m, d in zip(model, dumped, strict=True)]
    if isinstance(model, dict) and isinstance(dumped, dict):
        return {k: _drop_unset(model[k], v) for k, v in dumped.items()}
    return dumped


# ---- pydantic errors -> FieldError -------------------------------------------------------------------


def _field_error(model_class: type[BaseModel], error: ErrorDetails) -> FieldError:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    path, owner = _resolve(model_class, loc[:-1] if kind == "extra_forbidden" else loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _unwrap(owner)
        allowed = ", ".join(_aliases(model)) if _is_model(model) else ""
        return FieldError(
            (*path, key), f"unknown key '{key}'" + (f" (allowed: {allowed})" if allowed else "")
        )
    if kind == RULE_ERROR_TYPE:
        return FieldError((*path, ctx["field"]), error["msg"])
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = str(ctx.get("discriminator", "'action'")).strip("'")
        allowed = ", ".join(_model_options(_unwrap(owner)))
        what = f"unknown {tag} {ctx['tag']!r}" if "tag" in ctx else f"'{tag}' is required"
        return FieldError((*path, tag), f"{what} (allowed: {allowed})")
    if kind == "missing":
        return FieldError(path, f"'{path[-1]}' is required" if path else "a required key is missing")
    # A wrongly typed secret is still a secret: never echo it into an error message.
    got = "" if is_secret_path(path) else _got(error["input"])
    return FieldError(path, _message(kind, error["msg"], ctx, got))


_MESSAGES = {
    "timezone_aware": "needs a UTC offset, e.g. 2026-05-01T09:00:00+00:00 or ...Z{got}",
    "literal_error": "must be one of {expected}{got}",
    "model_type": "must be a JSON object{got}",
    "model_attributes_type": "must be a JSON object{got}",
    "dict_type": "must be a JSON object{got}",
    "list_type": "must be a list{got}",
    "string_type": "must be a string{got}",
    "int_type": "must be a whole number{got}",
    "float_type": "must be a number{got}",
    "bool_type": "must be true or false{got}",
    "datetime_type": "must be a date-time string like 2026-05-01T09:00:00+00:00{got}",
    "datetime_parsing": "must be a date-time string like 2026-05-01T09:00:00+00:00{got}",
    "datetime_from_date_parsing": "must be a date-time string like 2026-05-01T09:00:00+00:00{got}",
}


def _message(kind: str, pydantic_msg: str, ctx: Mapping[str, Any], got: str) -> str:
    if kind in _MESSAGES:
        expected = str(ctx.get("expected", "")).replace("'", "")
        return _MESSAGES[kind].format(expected=expected, got=got)
    if kind == "value_error":
        return pydantic_msg.removeprefix("Value error, ")
    if kind == "url_invalid":  # already says what it got
        return pydantic_msg
    if kind in ("too_short", "too_long"):
        size = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        if kind == "too_short" and size == 1:
            return "must not be empty"
        return f"must have at {'least' if kind == 'too_short' else 'most'} {size} item{'s' * (size != 1)}"
    if pydantic_msg.startswith("Input should be "):
        return "must be " + pydantic_msg.removeprefix("Input should be ") + got
    return pydantic_msg + got


def _got(value: object) -> str:
    text = repr(value)
    return f" (got {text})" if len(text) <= 60 and not isinstance(value, dict | list) else ""


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


# ---- walking a model's types along an error location ---------------------------------------------------


def _resolve(model_class: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[tuple[str, ...], Any]:
    """The API path of a pydantic `loc` (union tags dropped) and the type found there (None if unknown)."""
    path: list[str] = []
    current: Any = model_class
    for part in loc:
        current = _unwrap(current)
        if part == "[key]":  # an invalid dict key: the path already names it
            current = None
            continue
        if _is_model(current) and isinstance(part, str):
            field = _field_by_alias(current, part)
            current = field.annotation if field else None
            path.append(part)
            continue
        options = _model_options(current)
        if (
            isinstance(part, str) and part in options
        ):  # a tagged union's tag: in pydantic's loc, not in the JSON
            current = options[part]
            continue
        origin, args = typing.get_origin(current), typing.get_args(current)
        if origin in (list, tuple) and args:
            current = args[0]
        elif origin is dict and len(args) == 2:
            current = args[1]
        else:
            current = None
        path.append(str(part))
    return tuple(path), current


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _aliases(model_class: type[BaseModel]) -> list[str]:
    """The model's camelCase keys, required ones first."""
    fields = sorted(model_class.model_fields.items(), key=lambda item: not item[1].is_required())
    return [field.alias or name for name, field in fields]


def _field_by_alias(model_class: type[BaseModel], alias: str) -> Any:
    for name, field in model_class.model_fields.items():
        if (field.alias or name) == alias:
            return field
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional from a type, leaving a union of models as it is."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_options(annotation: Any) -> dict[str, type[BaseModel]]:
    """For a union of models told apart by a Literal field, {tag value: model}."""
    if typing.get_origin(annotation) not in (Union, types.UnionType):
        return {}
    options: dict[str, type[BaseModel]] = {}
    for member in typing.get_args(annotation):
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            continue
        for field in member.model_fields.values():
            if typing.get_origin(field.annotation) is Literal:
                options.update({str(v): member for v in typing.get_args(field.annotation)})
    return options
