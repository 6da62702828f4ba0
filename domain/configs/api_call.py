"""executionConfig of an API_CALL task: one HTTP request, its auth and what counts as success."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, JsonValue, StrictInt, model_validator

from ._base import ConfigModel, HttpUrlStr, NonBlankStr, TimeoutMs, rule_error

__all__ = ["DEFAULT_API_KEY_HEADER", "DEFAULT_API_TIMEOUT_MS", "ApiCallConfig"]

#: How long an API call may take before the attempt fails (and is retried), in milliseconds.
DEFAULT_API_TIMEOUT_MS = 30_000

#: The header an `authType: api_key` call carries the key in unless `apiKeyHeader` says otherwise.
DEFAULT_API_KEY_HEADER = "X-API-Key"

# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _header_name(value: str) -> str:
    if not _HEADER_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid header name (letters, digits and - only, no spaces or ':')"
        )
    return value


def _header_value(value: str) -> str:
    # A line break in a value would let a config smuggle extra headers into the request.
    if "\r" in value or "\n" in value:
        raise ValueError("a header value must not contain line breaks")
    return value


HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[str, AfterValidator(_header_value)]
HttpStatus = Annotated[StrictInt, Field(ge=100, le=599)]

#: Which keys each authType needs (camelCase) and the attribute names behind them.
_AUTH_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "none": (),
    "bearer": (("bearer_token", "bearerToken"),),
    "api_key": (("api_key", "apiKey"),),
    "basic": (("username", "username"), ("password", "password")),
}


class ApiCallConfig(ConfigModel):
    """One HTTP request; the result is `{status, headers, body, url, durationMs}`."""

    api_endpoint: HttpUrlStr
    api_method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body: JsonValue = None
    auth_type: Literal["none", "bearer", "api_key", "basic"] = "none"
    bearer_token: NonBlankStr | None = None
    api_key: NonBlankStr | None = None
    api_key_header: HeaderName = DEFAULT_API_KEY_HEADER
    username: NonBlankStr | None = None
    password: str | None = None
    timeout_ms: TimeoutMs = DEFAULT_API_TIMEOUT_MS
    expect_status: Annotated[list[HttpStatus], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _auth_has_its_credentials(self) -> Self:
        for attribute, key in _AUTH_NEEDS[self.auth_type]:
            if getattr(self, attribute) is None:
                raise rule_error(key, f"authType '{self.auth_type}' needs '{key}'; add it or change authType")
        return self
