"""Translating HTTP failures into the executor error tree, at the boundary (STYLE.md section 5).

`map_http_errors()` turns what httpx raises into `RetryableError`/`PermanentError`; `error_for_status()`
judges an HTTP status the same way for every executor and for webhook delivery: 408, 425, 429 and 5xx
are worth retrying (a `Retry-After` is kept for the backoff), other 4xx are not. Messages never carry a
query string, user info or header values: they may hold secrets.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

from domain.errors import ExecutorError, PermanentError, RetryableError
from workers.http import safe_url

__all__ = ["BODY_EXCERPT_CHARS", "StatusResponse", "error_for_status", "map_http_errors", "parse_retry_after"]

#: How much of an error response's body its error message quotes, in characters.
BODY_EXCERPT_CHARS = 300

#: Statuses below 500 that are still worth another attempt: Request Timeout, Too Early, Too Many Requests.
_RETRYABLE_4XX = frozenset({408, 425, 429})

# httpx's exceptions, most specific first, as (what, our error, message after "<target> ").
# `{timeout}` is the timeout the caller gave, `{detail}` the error's own words (URLs scrubbed).
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[ExecutorError], str], ...] = (
    (httpx.TimeoutException, RetryableError, "timed out after {timeout}"),
    (TimeoutError, RetryableError, "timed out after {timeout}"),  # an asyncio.timeout() around the call
    (httpx.UnsupportedProtocol, PermanentError, "failed: the URL's scheme is not supported, use http or https"),
    (httpx.LocalProtocolError, PermanentError, "could not be sent: {detail} (check the headers and body)"),
    (httpx.ConnectError, RetryableError, "failed: could not connect ({detail})"),
    (httpx.RemoteProtocolError, RetryableError, "failed: the server broke the HTTP protocol ({detail})"),
    (httpx.TransportError, RetryableError, "failed: network error ({detail})"),
    (httpx.TooManyRedirects, PermanentError, "failed: too many redirects (check the URL)"),
    (httpx.DecodingError, PermanentError, "failed: the response could not be decoded ({detail})"),
    (httpx.InvalidURL, PermanentError, "failed: invalid URL ({detail})"),
)


class StatusResponse(Protocol):
    """What `error_for_status` reads of a response: an `httpx.Response` or a `DirectResponse`."""

    @property
    def status_code(self) -> int: ...
    @property
    def reason_phrase(self) -> str: ...
    @property
    def url(self) -> httpx.URL: ...
    @property
    def headers(self) -> httpx.Headers: ...
    @property
    def text(self) -> str: ...


_USERINFO = re.compile(r"(://)[^/\s@]*@")
_QUERY = re.compile(r"(://[^\s?#]*)[?#]\S*")


def _scrub(text: str) -> str:
    """`text` with the user info and the query string cut out of any URL in it."""
    return _QUERY.sub(r"\1", _USERINFO.sub(r"\1", text))


def _format_timeout(timeout_ms: int | None) -> str:
    return f"{timeout_ms} ms" if timeout_ms is not None else "its timeout"


@contextlib.contextmanager
def map_http_errors(*, target: str = "the request", timeout_ms: int | None = None) -> Iterator[None]:
    """Re-raise what httpx raises in the block as `RetryableError` or `PermanentError`, from the original.

    Timeouts (httpx's, or a `TimeoutError` from an `asyncio.timeout()` in the block), refused
    connections and other network errors are retryable; an unsupported scheme, a request that cannot
    be sent, too many redirects, an undecodable body or an invalid URL are permanent. Our own errors
    (`EgressRefused` included) pass through unchanged.

    Parameters:
      target: what the messages start with, e.g. "GET https://api.example.com/v1/items" (no query!).
      timeout_ms: the timeout the block ran under, quoted in the message when it expires.

    Raises:
      RetryableError: for timeouts and network errors.
      PermanentError: for failures another attempt would not fix.
    """
    try:
        yield
    except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
        for source, ours, template in _HTTPX_ERRORS:
            if isinstance(exc, source):
                detail = _scrub(str(exc).strip().splitlines()[0]) if str(exc).strip() else type(exc).__name__
                message = template.format(timeout=_format_timeout(timeout_ms), detail=detail)
                raise ours(f"{target} {message}") from exc
        raise


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """The delay a `Retry-After` header asks for, in seconds: delay-seconds or an HTTP-date.

    Returns:
      The delay (0 for a date in the past), or None when the header is missing or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a date without a zone is read as such
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _body_excerpt(response: StatusResponse, body: str | None) -> str:
    if body is None:
        try:
            body = response.text
        except httpx.ResponseNotRead:
            body = ""
    excerpt = " ".join(body[:BODY_EXCERPT_CHARS].split())
    return f": {excerpt}" if excerpt else ""


def error_for_status(response: StatusResponse, *, body: str | None = None) -> ExecutorError | None:
    """The error a response's status stands for, or None for 1xx, 2xx and 3xx.

    408, 425, 429 and 5xx give a `RetryableError` whose `retry_after_s` comes from `Retry-After`; any
    other 4xx a `PermanentError`. The message reads "HTTP 404 Not Found from https://host/path: <the
    first BODY_EXCERPT_CHARS characters of the body>", without the query string.

    Parameters:
      response: the response (an `httpx.Response` or a `DirectResponse`); its body is quoted when it has
        been read.
      body: the body's text, for a response read by other means (streamed with a size cap).
    """
    status = response.status_code
    if status < 400:
        return None
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(status)
    message = f"HTTP {status} {reason}".rstrip() + f" from {safe_url(response.url)}{_body_excerpt(response, body)}"
    if status >= 500 or status in _RETRYABLE_4XX:
        return RetryableError(message, retry_after_s=parse_retry_after(response.headers.get("Retry-After")))
    return PermanentError(message)
