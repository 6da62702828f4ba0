"""The API_CALL executor's HTTP client: straight through aiohttp, with the shared httpx client's rules.

API_CALL is the worker's hot path (about a fifth of its CPU). Through the shared httpx client
(`workers.http.build_http_client`: httpx, the egress guard and httpx-aiohttp) a request cost 0.34 ms of CPU;
raw aiohttp costs 0.09 ms. `DirectClient` sends through one pooled aiohttp session and keeps what the httpx
stack does, step for step: the egress check (`TASKLOOM_EGRESS_ALLOWLIST`) before every hop, httpx's
redirect rules up to MAX_REDIRECTS hops, credential headers dropped off the first hop's origin, no cookies,
the headers the target sees, and failures raised as the httpx exceptions `map_http_errors` translates.
"""

from __future__ import annotations

import email.message
import functools
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import aiohttp
import httpx

from domain.egress import EgressPolicy, check_hop
from workers.http import (
    DEFAULT_HTTP_LIMITS,
    MAX_REDIRECTS,
    aiohttp_session,
    drop_credentials_off_origin,
    map_aiohttp_errors,
    safe_url,
    trusted_hop,
)

__all__ = ["DirectClient", "DirectResponse"]

# httpx's own request log line, on httpx's logger: domain/logs.py floors it as it did the client's lines.
_httpx_logger = logging.getLogger("httpx")

#: Headers every request carries unless it sets them: the shared httpx client's defaults. Accept-Encoding
#: lists what aiohttp decodes without extra packages.
_CLIENT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"python-httpx/{httpx.__version__}",
}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 16 * 1024


@functools.lru_cache(maxsize=256)
def _charset(content_type: str) -> str | None:
    # httpx's `Response.charset_encoding`: the content type's charset parameter, read by the email package.
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_charset(failobj=None)


@dataclass(frozen=True)
class DirectResponse:
    """A response read up to the size cap; `url` is the last hop's, after redirects."""

    status_code: int
    reason_phrase: str
    url: httpx.URL
    headers: httpx.Headers
    content: bytes
    complete: bool  # False when the body was over the cap and `content` holds only its first bytes

    @property
    def charset_encoding(self) -> str | None:
        """The charset the Content-Type header names, if any."""
        content_type = self.headers.get("Content-Type")
        return None if content_type is None else _charset(content_type)

    @property
    def text(self) -> str:
        """The body decoded by its charset (UTF-8 when it names none or one Python does not know)."""
        try:
            return self.content.decode(self.charset_encoding or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """The (decoded) body, at most `cap` bytes of it, and whether that is all of it."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        return b"", False
    if declared.isdigit() and "Content-Encoding" not in response.headers:
        return await response.read(), True  # no bigger once decoded than it says: read at once
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
        if size + len(chunk) > cap:
            chunks.append(chunk[: cap - size])
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), True


def _first_headers(method: str, url: httpx.URL, headers: httpx.Headers, content: bytes | None) -> httpx.Headers:
    """The first hop's headers, as httpx's `build_request` makes them: Host and Content-Length first, the client's
    defaults, the caller's. A new object each time: the caller changes it (a redirect drops credentials)."""
    return httpx.Headers(list(_first_raw(method, url.netloc if url.host else b"", tuple(headers.raw),
                                         len(content) if content else 0)))


@functools.lru_cache(maxsize=1024)
def _first_raw(method: str, host: bytes, raw: tuple[tuple[bytes, bytes], ...], length: int
               ) -> tuple[tuple[bytes, bytes], ...]:
    # Remembered: the tasks of one config send the same headers, and merging them took 9.4 us per request (4.4
    # with this, most of it the new Headers object).
    merged = httpx.Headers(_CLIENT_HEADERS)
    merged.update(httpx.Headers(list(raw)))
    auto: list[tuple[bytes, bytes]] = []
    if "Host" not in merged and host:
        auto.append((b"Host", host))
    if length:
        merged.setdefault("Content-Length", str(length))
    elif "Content-Length" not in merged and "Transfer-Encoding" not in merged and method in ("POST", "PUT", "PATCH"):
        auto.append((b"Content-Length", b"0"))
    return tuple(auto + merged.raw)


def _redirect_url(url: httpx.URL, location: str) -> httpx.URL:
    # httpx's `_redirect_url`.
    try:
        target = httpx.URL(location)
    except httpx.InvalidURL as exc:
        raise httpx.RemoteProtocolError(f"Invalid URL in location header: {exc}.") from None
    if target.scheme and not target.host:
        target = target.copy_with(host=url.host)
    if target.is_relative_url:
        target = url.join(target)
    if url.fragment and not target.fragment:
        target = target.copy_with(fragment=url.fragment)
    return target


def _redirect_method(method: str, status: int) -> str:
    # httpx's `_redirect_method`: 302 and 303 become GET, 301 turns a POST into a GET, 307 and 308 keep all.
    if status in (302, 303) and method != "HEAD":
        return "GET"
    if status == 301 and method == "POST":
        return "GET"
    return method


def _redirect_headers(headers: httpx.Headers, url: httpx.URL, target: httpx.URL, *, to_get: bool) -> httpx.Headers:
    # httpx's `_redirect_headers`, hop to hop: Authorization off the origin (an https upgrade keeps it), the
    # body's headers once the method turned into GET, and any Cookie header.
    headers = httpx.Headers(headers)
    if not trusted_hop(url, target):
        headers.pop("Authorization", None)
    if (url.scheme, url.host, url.port) != (target.scheme, target.host, target.port):
        headers["Host"] = target.netloc.decode("ascii")
    if to_get:
        headers.pop("Content-Length", None)
        headers.pop("Transfer-Encoding", None)
    headers.pop("Cookie", None)
    return headers


class DirectClient:
    """Sends one request (and its redirects) through a pooled aiohttp session, egress-guarded on every hop.

    The session is built on the event loop that sends the first request; close it with `aclose()`.

    Parameters:
      policy: the egress policy every hop must pass; defaults to one with an empty allowlist.
      limits: the connection pool's size and keep-alive.
      trace_configs: aiohttp tracing hooks (tests note what is sent through them).
    """

    def __init__(
        self,
        policy: EgressPolicy | None = None,
        *,
        limits: httpx.Limits = DEFAULT_HTTP_LIMITS,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self._policy = policy if policy is not None else EgressPolicy()
        self._limits = limits
        self._trace_configs = trace_configs
        self._session: aiohttp.ClientSession | None = None

    async def send(
        self,
        method: str,
        url: httpx.URL,
        *,
        headers: httpx.Headers,
        content: bytes | None,
        timeout_s: float,
        max_bytes: int,
        credential_headers: Collection[str] = (),
    ) -> DirectResponse:
        """Send the request, follow up to MAX_REDIRECTS redirects and read the body, `max_bytes` at most.

        Parameters:
          timeout_s: the connect, pool wait and read timeout of each hop, in seconds.
          max_bytes: the most of the (decoded) body kept; `complete` says whether that was all of it.
          credential_headers: headers carrying credentials, dropped once a redirect leaves the origin.

        Raises:
          EgressRefused: when the egress policy refuses a hop (nothing is sent to it).
          httpx.TransportError: the httpx exception httpx's transport raises for the failure.
          httpx.TooManyRedirects: after MAX_REDIRECTS redirects.
        """
        if self._session is None:
            self._session = aiohttp_session(limits=self._limits, trace_configs=self._trace_configs)
        timeout = aiohttp.ClientTimeout(sock_connect=timeout_s, sock_read=timeout_s, connect=timeout_s)
        first = url
        headers = _first_headers(method, url, headers, content)
        redirects = 0
        while True:
            if redirects > MAX_REDIRECTS:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.")
            drop_credentials_off_origin(headers, first=first, url=url, named=credential_headers)
            await check_hop(self._policy, url)
            with map_aiohttp_errors():
                async with self._session.request(
                    method, str(url), headers=headers, data=content or None, allow_redirects=False, timeout=timeout
                ) as response:
                    reason = response.reason
                    reason_phrase = (
                        reason.encode().decode("ascii", errors="ignore")
                        if reason
                        else httpx.codes.get_reason_phrase(response.status)
                    )
                    if _httpx_logger.isEnabledFor(logging.INFO):  # the URL is formatted only for a kept line
                        _httpx_logger.info('HTTP Request: %s %s "HTTP/1.1 %d %s"', method, safe_url(url),
                                           response.status, reason_phrase)
                    response_headers = httpx.Headers(response.raw_headers)
                    if response.status not in _REDIRECT_STATUSES or "Location" not in response_headers:
                        body, complete = await _read_capped(response, max_bytes)
                        return DirectResponse(response.status, reason_phrase, url, response_headers, body, complete)
                    target = _redirect_url(url, response_headers["Location"])
                    new_method = _redirect_method(method, response.status)
                    to_get = new_method != method and new_method == "GET"
                    headers = _redirect_headers(headers, url, target, to_get=to_get)
                    if to_get:
                        content = None
                    response.release()  # the body of a redirect is not read: it could be of any size
            method, url = new_method, target
            redirects += 1

    async def aclose(self) -> None:
        """Close the session and its connections, if a request opened them."""
        if self._session is not None:
            await self._session.close()
            self._session = None
