"""Building blocks shared by the executionConfig models: the base class and the checked value types."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

__all__ = [
    "MAX_TIMEOUT_MS",
    "RULE_ERROR_TYPE",
    "AwareDateTime",
    "ConfigModel",
    "HttpUrlStr",
    "NonBlankStr",
    "TimeoutMs",
    "rule_error",
]

#: The longest timeout (milliseconds) a config may ask for: an API call or a browser step.
MAX_TIMEOUT_MS = 600_000

#: The error type of a cross-field rule; its `ctx["field"]` names the key the rule is about.
RULE_ERROR_TYPE = "config_rule"


class ConfigModel(BaseModel):
    """Base of every executionConfig model: immutable, unknown keys rejected, camelCase JSON keys.

    Python code may build a model with the snake_case names; `validate_config` accepts only the
    camelCase keys API.md lists.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
    )


def rule_error(field: str, message: str) -> PydanticCustomError:
    """An error for a rule that spans keys, reported at the camelCase key `field` of the model."""
    return PydanticCustomError(RULE_ERROR_TYPE, message, {"field": field})


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


_URL_ADAPTER: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


def _http_url(value: str) -> str:
    problem = _url_problem(value)
    if problem is not None:
        raise PydanticCustomError(
            "url_invalid",
            "{problem}, e.g. https://example.com/path (got {got})",
            {"problem": problem, "got": repr(value)},
        )
    return value


@functools.lru_cache(maxsize=4096)
def _url_problem(value: str) -> str | None:
    """What is wrong with `value` as an http(s) URL, None when nothing. Remembered: a bulk create and the worker
    check the same endpoints over and over, and the check (urlsplit, then pydantic's URL parser) costs more than
    the rest of an API_CALL config's validation."""
    # urlsplit catches what AnyHttpUrl would silently repair ("http:/x");
    # AnyHttpUrl catches bad hosts and ports.
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.netloc or not parts.hostname:
        return "must be a URL with a host"
    if re.search(r"\s", value):
        return "must not contain spaces (encode them as %20)"
    try:
        _URL_ADAPTER.validate_python(value)
    except ValidationError as exc:
        return "is not a valid URL: " + exc.errors()[0]["msg"].removeprefix("Input should be a valid URL, ")
    return None


def _isoformat(value: datetime) -> str:
    return value.isoformat()


#: A string that is not empty or only spaces.
NonBlankStr = Annotated[str, AfterValidator(_not_blank)]

#: An absolute http(s) URL with a host, kept exactly as given.
HttpUrlStr = Annotated[str, AfterValidator(_http_url)]

#: A datetime with a UTC offset, stored as ISO 8601 with the offset it was given in.
AwareDateTime = Annotated[AwareDatetime, PlainSerializer(_isoformat, return_type=str, when_used="json")]

#: A timeout in milliseconds: a whole number from 1 to MAX_TIMEOUT_MS.
TimeoutMs = Annotated[StrictInt, Field(gt=0, le=MAX_TIMEOUT_MS)]
