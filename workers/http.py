"""The one shared, egress-guarded httpx client of a worker process.

Executors and webhook delivery keep httpx's API; underneath, every request (each redirect hop included)
goes through `GuardedTransport`, which applies `TASKLOOM_EGRESS_ALLOWLIST`, and then through aiohttp.
`bench/http_client.py` measured the transports against a local server (issue 3, item 9): httpx's
default transport costs several times more CPU per request than aiohttp's, so aiohttp it is.

Timeouts are per request (executors pass their own); the defaults below cover the rest. The API_CALL
executor skips httpx altogether (`workers.direct_http`) but shares this module's session, error mapping
and credential rules.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from typing import Any

import aiohttp
import httpx
from aiohttp.http_exceptions import ContentEncodingError
from httpx_aiohttp import AiohttpTransport

from domain.configs._secrets import is_secret_path
from domain.egress import EgressPolicy, GuardedTransport
from domain.settings import Settings

__all__ = [
    "CREDENTIAL_HEADERS",
    "DEFAULT_HTTP_LIMITS",
    "DEFAULT_HTTP_TIMEOUT_S",
    "MAX_REDIRECTS",
    "aiohttp_session",
    "aiohttp_transport",
    "build_http_client",
    "drop_credentials_off_origin",
    "map_aiohttp_errors",
    "safe_url",
    "trusted_hop",
]

#: Connection pool of the shared client: at most this many connections open, all hosts together.
DEFAULT_HTTP_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

#: Timeout of a request that passes none, in seconds (connect, read, write and pool wait each).
DEFAULT_HTTP_TIMEOUT_S = 30.0

#: Redirect hops a request follows before it fails with `httpx.TooManyRedirects`.
MAX_REDIRECTS = 5

#: Request extension: names of headers carrying credentials, dropped once a redirect leaves the origin.
CREDENTIAL_HEADERS = "taskloom.credential_headers"
_FIRST_URL = "taskloom.first_url"  # request extension: the URL of a redirect chain's first hop

# What aiohttp raises, as the httpx exception httpx's own transport would raise; first match wins.
# httpx-aiohttp maps some of these itself, but files a refused connection and a server hanging up under
# ConnectTimeout ("timed out") and lets a malformed response through as a bare aiohttp error.
_AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (TimeoutError, httpx.TimeoutException),  # aiohttp.ServerTimeoutError and a bare asyncio timeout
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unresolvable, TLS handshake
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # a response that is not valid HTTP
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientConnectionError, httpx.NetworkError),
    (aiohttp.ClientError, httpx.TransportError),
)


def _describe(exc: BaseException) -> str:
    # Never str() an error that may quote the URL: its query string can carry a secret.
    if isinstance(exc, aiohttp.ClientResponseError):
        return exc.message.strip().splitlines()[0] if exc.message.strip() else type(exc).__name__
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def map_aiohttp_errors(request: httpx.Request | None = None) -> Iterator[None]:
    """Re-raise what aiohttp raises in the block as the httpx exception httpx's own transport would raise.

    Parameters:
      request: the httpx request being sent, attached to the exception (None outside httpx).
    """
    try:
        yield
    except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
        cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
        decoding = cause.__cause__ if isinstance(cause, aiohttp.ClientPayloadError) else None
        if isinstance(decoding, ContentEncodingError):
            # A body aiohttp decompressed itself (DirectClient's) and could not: what httpx's decoders say.
            raise httpx.DecodingError(_describe(decoding.__context__ or decoding), request=request) from cause
        for source, target in _AIOHTTP_ERRORS:
            if isinstance(cause, source):
                raise target(_describe(cause), request=request) from cause
        raise


class _MappedStream(httpx.AsyncByteStream):
    """A response body whose read errors are mapped like the request's."""

    def __init__(self, stream: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with map_aiohttp_errors(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with map_aiohttp_errors(self._request):
            await self._stream.aclose()


def aiohttp_session(
    *, limits: httpx.Limits = DEFAULT_HTTP_LIMITS, trace_configs: Sequence[aiohttp.TraceConfig] = ()
) -> aiohttp.ClientSession:
    """A pooled aiohttp session that keeps no cookies and ignores proxy variables; build it on its event loop.

    Parameters:
      limits: the connection pool's size (`max_connections`) and how long idle connections stay open.
      trace_configs: aiohttp tracing hooks (tests note what is sent through them).
    """
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0,
        keepalive_timeout=limits.keepalive_expiry,
        ssl=httpx.create_ssl_context(trust_env=False),
    )
    # One session serves every task of every workspace: a cookie one target sets must never ride along on
    # another task's request, so aiohttp keeps none.
    return aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, trace_configs=list(trace_configs)
    )


class _AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx-aiohttp's transport, raising exactly the httpx exceptions httpx's own transport raises."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        # The session is built lazily, on the event loop that sends the first request, as aiohttp requires.
        self._inner = AiohttpTransport(client=lambda: aiohttp_session(limits=limits), trust_env=False, limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with map_aiohttp_errors(request):
            response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MappedStream(response.stream, request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def aiohttp_transport(*, limits: httpx.Limits = DEFAULT_HTTP_LIMITS) -> httpx.AsyncBaseTransport:
    """The transport the shared client sends through: aiohttp, pooled, keeping no cookies.

    Its failures surface as httpx's: `httpx.TimeoutException` for timeouts, `httpx.ConnectError` for a
    refused or unresolvable connection, other `httpx.TransportError`s for the rest.

    Parameters:
      limits: the connection pool's size (`max_connections`) and how long idle connections stay open.
    """
    return _AiohttpTransport(limits=limits)


def safe_url(url: httpx.URL | str) -> str:
    """`url` as it may appear in messages, logs and results: scheme, host, port and path only.

    The query string and the user info are left out: either may carry a secret.

    Raises:
      httpx.InvalidURL: when `url` is a string that is not a valid URL.
    """
    return _safe_url(str(url))


@functools.lru_cache(maxsize=256)
def _safe_url(url: str) -> str:
    # Cached: parsing costs more than the request itself (an API_CALL task needs it twice per run).
    return str(httpx.URL(url).copy_with(query=None, fragment=None, userinfo=b""))


class _RedactUrls(logging.Filter):
    """Logs httpx's "HTTP Request: GET <url> ..." lines with `safe_url(url)`: a query may hold a key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, httpx.URL) for arg in record.args):
            record.args = tuple(safe_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


def _redact_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactUrls) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactUrls())


def _port_or_default(url: httpx.URL) -> int | None:
    return url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme)


def trusted_hop(first: httpx.URL, url: httpx.URL) -> bool:
    """Whether `url` is `first`'s origin, or its upgrade from http to https (as httpx judges it)."""
    if first.host != url.host:
        return False
    if first.scheme == url.scheme:
        return _port_or_default(first) == _port_or_default(url)
    return (first.scheme, _port_or_default(first), url.scheme, _port_or_default(url)) == ("http", 80, "https", 443)


def drop_credentials_off_origin(
    headers: httpx.Headers, *, first: httpx.URL, url: httpx.URL, named: Collection[str] = ()
) -> None:
    """Off `first`'s origin, drop from the headers of the hop to `url` every header carrying credentials.

    httpx drops only Authorization on such a redirect; an API key header or a token in a custom header
    would reach whatever host a target redirects to. Dropped are the headers `named` (any case) and every
    header named like a credential (the executionConfig masking rules).

    Parameters:
      headers: the hop's request headers, changed in place.
      first: the URL of the redirect chain's first hop.
      url: the URL of this hop.
      named: the headers the request filled with credentials (authType's).
    """
    if trusted_hop(first, url):
        return
    lowered = {name.lower() for name in named}
    for name in [name for name in headers if name in lowered or is_secret_path(("headers", name))]:
        del headers[name]


async def _drop_credentials_off_origin(request: httpx.Request) -> None:
    # Request hook, run on every hop. httpx hands a hop's extensions on to the next one, which is what
    # carries the first URL; the request names its credential headers in its CREDENTIAL_HEADERS extension.
    first = request.extensions.setdefault(_FIRST_URL, request.url)
    if isinstance(first, httpx.URL):
        drop_credentials_off_origin(
            request.headers, first=first, url=request.url, named=request.extensions.get(CREDENTIAL_HEADERS, ())
        )


class _NoCookies(httpx.Cookies):
    """Cookies that are never taken from a response nor sent: the shared client must not carry one task's
    cookies into another's. (An empty jar refusing every domain did the same, after building urllib's view of
    each response: a twentieth of a busy worker's CPU.)"""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        return None


class _SharedClient(httpx.AsyncClient):
    """httpx's client, keeping no cookies whatever a caller or a response sets."""

    def __init__(self, **kwargs: Any) -> None:
        self._no_cookies = _NoCookies()
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        return None


def build_http_client(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """Build the worker process's one shared httpx client, egress-guarded on every hop.

    It ignores proxy and certificate variables from the environment (`trust_env=False`: a proxy would
    bypass the guard), pools connections, follows up to MAX_REDIRECTS redirects and keeps no cookies
    between requests. On a redirect off the first hop's origin it drops credential headers (see
    `_drop_credentials_off_origin`); httpx's own request log lines lose their query strings. Close it with
    `await client.aclose()` when the process shuts down.

    Parameters:
      settings: `egress_allowlist` (TASKLOOM_EGRESS_ALLOWLIST) says which blocked targets are let through.
      transport: what sends allowed requests; defaults to `aiohttp_transport()`. Tests pass another.

    Raises:
      ValueError: when `settings.egress_allowlist` holds an entry that is not a host, IP or CIDR.
    """
    _redact_httpx_logs()
    inner = transport if transport is not None else aiohttp_transport()
    guarded = GuardedTransport(EgressPolicy.from_setting(settings.egress_allowlist), transport=inner)
    return _SharedClient(
        transport=guarded,
        trust_env=False,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=DEFAULT_HTTP_TIMEOUT_S,
        event_hooks={"request": [_drop_credentials_off_origin]},
    )
