"""The GoHighLevel API v2 client: one method per GHL_ACTION, errors mapped to the executor error tree.

Facts it relies on are in `shared/reference/GHL_API.md`: a `Version` header per endpoint (2021-07-28 for
contacts and opportunities, 2021-04-15 for conversations), `locationId` in the body of create, upsert and
opportunity calls and nowhere else (GHL answers 422 "property locationId should not exist"), DELETE of tags
with a JSON body, 422 messages as arrays, the duplicate-contact 400 with `meta.contactId`, and the
`X-RateLimit-*` headers. Every request first takes a slot from a `RateLimiter` keyed by location, so all
workers together stay under GHL's burst limit (100 requests per 10 s per location).

The base URL (`TASKLOOM_GHL_BASE_URL`) is set by the operator and trusted (ARCHITECTURE.md), so GHL calls do
not go through the egress-guarded shared client: `shared_resources()` keeps one plain httpx client (and one
limiter) per process and event loop. The token (`TASKLOOM_GHL_API_KEY`) is sent in the Authorization header
only: it never appears in messages, logs or results.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from domain.errors import ExecutorError, PermanentError, RetryableError
from domain.services.rate_limits import RateLimiter, build_rate_limiter
from domain.settings import Settings
from workers.executors._errors import BODY_EXCERPT_CHARS, error_for_status, map_http_errors, parse_retry_after
from workers.http import DEFAULT_HTTP_LIMITS, aiohttp_transport, safe_url

__all__ = [
    "ACTIONS_NEEDING_LOCATION",
    "CONTACTS_VERSION",
    "CONVERSATIONS_VERSION",
    "DAILY_LIMIT_RETRY_AFTER_S",
    "DEFAULT_GHL_TIMEOUT_S",
    "GHL_BURST_MAX_REQUESTS",
    "GHL_BURST_WINDOW_S",
    "GhlClient",
    "GhlResources",
    "close_shared_resources",
    "rate_limit_retry_after_s",
    "shared_resources",
]

#: `Version` header of the contacts and opportunities endpoints.
CONTACTS_VERSION = "2021-07-28"
#: `Version` header of the conversations endpoints (`POST /conversations/messages`, the SMS send).
CONVERSATIONS_VERSION = "2021-04-15"
#: GHL's burst limit: requests per window, per location (GHL_API.md section 8).
GHL_BURST_MAX_REQUESTS = 100
#: GHL's burst window, in seconds.
GHL_BURST_WINDOW_S = 10.0
#: Time a call may take, limiter wait included, when the caller gives none.
DEFAULT_GHL_TIMEOUT_S = 30.0
#: After a 429 of the daily limit (`X-RateLimit-Daily-Remaining: 0`) without Retry-After, the retry waits
#: this long (GHL does not say when its day rolls over); the runner caps it at TASKLOOM_RETRY_CAP_S.
DAILY_LIMIT_RETRY_AFTER_S = 3600.0

#: The actions whose request carries a `locationId` (GHL_API.md 1.1); the others imply it by the contact.
ACTIONS_NEEDING_LOCATION = frozenset({"add_contact", "upsert_contact", "create_opportunity"})

# What the status adds to GHL's own message: how to fix it.
_HINTS = {
    401: "check TASKLOOM_GHL_API_KEY: a Private Integration Token of this location, with the action's scope",
    403: "the token may not act on this location: check locationId and the token's sub-account",
    404: "check the ids in the executionConfig",
}


class GhlClient:
    """Calls GoHighLevel API v2 for one location with a Private Integration Token.

    Each method returns GHL's JSON answer as a dict (e.g. `{"contact": {...}}`). `timeout_s` bounds the
    whole call: waiting for a rate-limit slot, then the HTTP exchange.

    Parameters:
      client: the httpx client to send with (not egress-guarded: the base URL is the operator's).
      base_url: the API root, `TASKLOOM_GHL_BASE_URL` (https://services.leadconnectorhq.com).
      token: the Private Integration Token (`TASKLOOM_GHL_API_KEY`).
      limiter: the shared limiter; its key is `ghl:<location_id>`.
      location_id: the sub-account, sent where the API wants it. Without one, the limiter's key falls back to
        a digest of the token (GHL counts by token and location).

    Raises (every method):
      PermanentError: HTTP 4xx other than 408/425/429 (401/403/404/422 with GHL's message; 422's array is
        joined), a duplicate contact on `add_contact` (naming the existing contact's id), a missing location.
      RetryableError: HTTP 429 (`retry_after_s` from Retry-After or the X-RateLimit-* headers), 408/425/5xx,
        network errors and timeouts, or no rate-limit slot within `timeout_s`.
    """

    def __init__(
        self, *, client: httpx.AsyncClient, base_url: str, token: str, limiter: RateLimiter, location_id: str = ""
    ) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._limiter = limiter
        self.location_id = location_id
        if location_id:
            self.rate_key = f"ghl:{location_id}"
        else:  # never the token itself: the key shows up in Redis and in messages
            self.rate_key = "ghl:token-" + hashlib.sha256(token.encode()).hexdigest()[:16]

    def __repr__(self) -> str:  # the default would not show the token either; this says so
        return f"GhlClient(base_url={self._base_url!r}, location_id={self.location_id!r}, token=***)"

    # -- contacts -----------------------------------------------------------------------------------------

    async def add_contact(
        self, fields: Mapping[str, Any], *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Create a contact (`POST /contacts/`, 201 `{contact}`); a duplicate fails naming the existing one.

        Parameters:
          fields: GHL's contact fields (`firstName`, `email`, `tags`, ...), without `locationId`.
        """
        body = {**fields, "locationId": self._location("add_contact")}
        return await self._call("add_contact", "POST", "/contacts/", CONTACTS_VERSION, body, timeout_s)

    async def upsert_contact(
        self, fields: Mapping[str, Any], *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Create or update the contact matching email or phone (`POST /contacts/upsert`, `{new, contact}`)."""
        body = {**fields, "locationId": self._location("upsert_contact")}
        return await self._call("upsert_contact", "POST", "/contacts/upsert", CONTACTS_VERSION, body, timeout_s)

    async def update_contact(
        self, contact_id: str, fields: Mapping[str, Any], *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Update a contact (`PUT /contacts/{id}`, `{succeded, contact}`); `tags` given here replace the list."""
        path = f"/contacts/{_segment(contact_id)}"
        return await self._call("update_contact", "PUT", path, CONTACTS_VERSION, dict(fields), timeout_s)

    async def add_tag(
        self, contact_id: str, tags: Sequence[str], *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Add tags to a contact (`POST /contacts/{id}/tags`, 201 `{tags}`)."""
        path = f"/contacts/{_segment(contact_id)}/tags"
        return await self._call("add_tag", "POST", path, CONTACTS_VERSION, {"tags": list(tags)}, timeout_s)

    async def remove_tag(
        self, contact_id: str, tags: Sequence[str], *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Remove tags from a contact (`DELETE /contacts/{id}/tags` with a JSON body, `{tags}`)."""
        path = f"/contacts/{_segment(contact_id)}/tags"
        return await self._call("remove_tag", "DELETE", path, CONTACTS_VERSION, {"tags": list(tags)}, timeout_s)

    async def add_note(self, contact_id: str, body: str, *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S) -> dict[str, Any]:
        """Add a note to a contact (`POST /contacts/{id}/notes`, 201 `{note}`)."""
        path = f"/contacts/{_segment(contact_id)}/notes"
        return await self._call("add_note", "POST", path, CONTACTS_VERSION, {"body": body}, timeout_s)

    # -- conversations and opportunities ------------------------------------------------------------------

    async def send_sms(
        self, contact_id: str, message: str, *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Send an SMS to a contact (`POST /conversations/messages`, `{conversationId, messageId, msg}`)."""
        body = {"type": "SMS", "contactId": contact_id, "message": message}
        return await self._call("send_sms", "POST", "/conversations/messages", CONVERSATIONS_VERSION, body, timeout_s)

    async def create_opportunity(
        self, fields: Mapping[str, Any], *, timeout_s: float = DEFAULT_GHL_TIMEOUT_S
    ) -> dict[str, Any]:
        """Create an opportunity (`POST /opportunities/`, 201 `{opportunity}`).

        Parameters:
          fields: `pipelineId`, `name`, `status`, `contactId` (required by GHL), optionally `pipelineStageId`,
            `monetaryValue`, ...; without `locationId`.
        """
        body = {**fields, "locationId": self._location("create_opportunity")}
        return await self._call("create_opportunity", "POST", "/opportunities/", CONTACTS_VERSION, body, timeout_s)

    # -- the exchange -------------------------------------------------------------------------------------

    def _location(self, action: str) -> str:
        if not self.location_id:
            raise PermanentError(f"{action} needs a GoHighLevel locationId, and this client has none")
        return self.location_id

    async def _call(
        self, action: str, method: str, path: str, version: str, body: dict[str, Any], timeout_s: float
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        await self._limiter.acquire(self.rate_key, timeout_s=timeout_s)
        left_s = deadline - loop.time()
        url = self._base_url + path
        target = f"{action}: {method} {safe_url(url)}"
        if left_s <= 0:
            raise RetryableError(f"{target} not sent: the attempt's time ran out waiting for a rate-limit slot")
        headers = {"Authorization": f"Bearer {self._token}", "Version": version, "Accept": "application/json"}
        with map_http_errors(target=target, timeout_ms=round(left_s * 1000)):
            async with asyncio.timeout(left_s):
                response = await self._client.request(method, url, json=body, headers=headers, timeout=left_s)
        if response.is_success:
            answer = _json(response)
            if not isinstance(answer, dict):
                raise PermanentError(f"{target} -> HTTP {response.status_code} without the JSON object GHL sends")
            return answer
        raise _error(action, target, response)


def _segment(value: str) -> str:
    """`value` as one path segment: an id with a slash or `?` in it must not reach another route."""
    return quote(value, safe="")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _ghl_message(response: httpx.Response) -> str:
    """GHL's own words: `message` (a string, or for 422 an array, joined), else a body excerpt."""
    answer = _json(response)
    if isinstance(answer, dict):
        message = answer.get("message")
        if isinstance(message, list) and message:
            return "; ".join(str(part) for part in message)
        if isinstance(message, str) and message.strip():
            return message.strip()
        if isinstance(answer.get("error"), str):
            return str(answer["error"])
    return " ".join(response.text[:BODY_EXCERPT_CHARS].split()) or "(no body)"


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) and number >= 0 else None


def rate_limit_retry_after_s(headers: httpx.Headers) -> float | None:
    """How long a 429 from GHL asks to wait, in seconds, or None when its headers do not say.

    `Retry-After` wins when present (GHL_API.md does not confirm GHL sends it). Else, with
    `X-RateLimit-Daily-Remaining: 0` the daily budget is spent: DAILY_LIMIT_RETRY_AFTER_S. Else the burst
    window, `X-RateLimit-Interval-Milliseconds`, is the longest the burst limit can last.
    """
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if retry_after is not None:
        return retry_after
    if _number(headers.get("X-RateLimit-Daily-Remaining")) == 0:
        return DAILY_LIMIT_RETRY_AFTER_S
    interval_ms = _number(headers.get("X-RateLimit-Interval-Milliseconds"))
    return interval_ms / 1000 if interval_ms else None


def _error(action: str, target: str, response: httpx.Response) -> ExecutorError:
    status = response.status_code
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(status)
    said = f"{target} -> HTTP {status} {reason}: {_ghl_message(response)}"
    answer = _json(response)
    meta = answer.get("meta") if isinstance(answer, dict) else None
    if status == 400 and action == "add_contact" and isinstance(meta, dict) and meta.get("contactId"):
        matching = f" (same {meta['matchingField']})" if isinstance(meta.get("matchingField"), str) else ""
        return PermanentError(
            f"{said}: contact {meta['contactId']} already exists{matching}; "
            "use upsert_contact to update it, or update_contact with its id"
        )
    if status == 429:
        headers = response.headers
        which = "daily" if _number(headers.get("X-RateLimit-Daily-Remaining")) == 0 else "burst"
        limits = ", ".join(f"{name}: {headers[name]}" for name in ("X-RateLimit-Max", "X-RateLimit-Remaining",
                           "X-RateLimit-Interval-Milliseconds", "X-RateLimit-Daily-Remaining") if name in headers)
        return RetryableError(f"{said} ({which} rate limit{'; ' + limits if limits else ''})",
                              retry_after_s=rate_limit_retry_after_s(headers))
    judged = error_for_status(response)
    hint = f" ({_HINTS[status]})" if status in _HINTS else ""
    if isinstance(judged, RetryableError):
        return RetryableError(said + hint, retry_after_s=judged.retry_after_s)
    return PermanentError(said + hint)


# -- the process's GHL resources --------------------------------------------------------------------------


@dataclass(frozen=True)
class GhlResources:
    """What every GhlClient of a process shares: a plain (unguarded) httpx client and the rate limiter."""

    http: httpx.AsyncClient
    limiter: RateLimiter


# One entry per event loop and broker URL: an aiohttp session and a Redis connection pool belong to the loop
# that opened them, and the limiter's kind follows TASKLOOM_BROKER_URL. Process-wide on purpose: the limiter
# must count every task of the process, and the client pools connections to GHL. The Resources middleware
# does not own them (yet): `close_shared_resources()` closes them; tests call it, a worker's exit drops them.
_SHARED: dict[tuple[asyncio.AbstractEventLoop, str], GhlResources] = {}


def shared_resources(settings: Settings) -> GhlResources:
    """This process's GHL client and limiter for the running event loop, built on first use.

    The limiter allows GHL_BURST_MAX_REQUESTS per GHL_BURST_WINDOW_S per location: in Redis (all worker
    processes share it) when `TASKLOOM_BROKER_URL` is Redis, else in this process (see
    `domain.services.rate_limits`).
    """
    loop = asyncio.get_running_loop()
    for stale in [key for key in _SHARED if key[0].is_closed()]:
        del _SHARED[stale]  # its loop is gone: nothing left to close it on
    key = (loop, settings.broker_url)
    if key not in _SHARED:
        _SHARED[key] = GhlResources(
            http=httpx.AsyncClient(transport=aiohttp_transport(limits=DEFAULT_HTTP_LIMITS), trust_env=False),
            limiter=build_rate_limiter(settings, max_requests=GHL_BURST_MAX_REQUESTS, window_s=GHL_BURST_WINDOW_S),
        )
    return _SHARED[key]


async def close_shared_resources() -> None:
    """Close the clients and limiters `shared_resources` built on the running loop."""
    loop = asyncio.get_running_loop()
    for key in [key for key in _SHARED if key[0] is loop]:
        resources = _SHARED.pop(key)
        await resources.http.aclose()
        await resources.limiter.aclose()
