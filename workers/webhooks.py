"""Webhook delivery, the HTTP side: sign an outbound message per Standard Webhooks and POST it, once per call.

API.md "Outgoing webhooks" is the contract: headers `webhook-id` (the message id), `webhook-timestamp`
(this attempt's Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of
`{id}.{timestamp}.{body}`, keyed by the base64-decoded part of the `whsec_` secret). 2xx is delivered;
410 Gone deactivates the webhook; an egress refusal, a missing or inactive webhook fail at once; anything
else (other statuses, network errors, timeouts) is retried on the schedule, or later when `Retry-After`
says so, until the schedule runs out. `TASKLOOM_WEBHOOK_TIMEOUT_S` bounds one attempt and
`TASKLOOM_WEBHOOK_SCHEDULE` spaces the retries.

Delivery has its own retries, kept in the database by `domain.services.messages`; it never changes the
task's state and never raises: a failed delivery is logged (message id and outcome, never the secret,
the signature or the URL) and recorded on the message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from domain.egress import EgressPolicy, EgressRefused, GuardedTransport
from domain.enums import MessageStatus
from domain.metrics import observe_delivery
from domain.models import OutboundMessage, Webhook
from domain.services.messages import record_attempt
from domain.services.webhooks import SECRET_PREFIX

__all__ = ["MAX_RETRY_AFTER_S", "USER_AGENT", "WebhookSender", "encode_payload", "sign"]

logger = logging.getLogger(__name__)

#: The `user-agent` of every delivery.
USER_AGENT = "Taskloom-Webhooks/1"
#: The longest wait a receiver's `Retry-After` can impose on one retry (one day, the default's last step).
MAX_RETRY_AFTER_S = 24 * 3600.0
#: How much of an error response's body is kept in `last_error`, in bytes.
_ERROR_BODY_BYTES = 200


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature of one attempt: `v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">`.

    Parameters:
      secret: the webhook's secret, `whsec_<base64>`; the HMAC key is the decoded base64 part.
      msg_id: the `webhook-id` header (the message id).
      timestamp: the `webhook-timestamp` header, Unix seconds.
      body: the exact request body.

    Raises:
      ValueError: the secret is not `whsec_` followed by base64.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_'; set a new one with updateWebhook")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError as exc:  # binascii.Error is a ValueError
        raise ValueError("the webhook secret is not valid base64 after 'whsec_'; set a new one with updateWebhook") \
            from exc
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The request body: the stored payload as compact UTF-8 JSON, envelope keys in API.md's order.

    The order is fixed here because PostgreSQL's jsonb does not keep key order; the same stored payload
    always encodes to the same bytes, so every retry sends the same body.
    """
    envelope = {key: payload[key] for key in ("id", "type", "timestamp", "data")}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Outcome:
    """What one attempt came to, before the schedule decides whether to retry."""

    ok: bool = False
    retryable: bool = False
    response_status: int | None = None
    error: str | None = None
    retry_after_s: float | None = None
    deactivate_webhook: bool = False


class WebhookSender:
    """Delivers claimed (SENDING) outbound messages to their webhooks, one attempt per `deliver` call.

    Parameters:
      client: the httpx client to send with; default a new one behind `GuardedTransport(egress)`, closed
        by `aclose`. A given client stays the caller's (the worker's shared client).
      egress: the policy every webhook URL is checked against at send time.
      timeout_s: one attempt's time limit, connection to last response byte (`TASKLOOM_WEBHOOK_TIMEOUT_S`).
      schedule: the wait after each failed attempt (`parse_schedule(TASKLOOM_WEBHOOK_SCHEDULE)`); a
        message gets 1 + len(schedule) attempts.
      clock: the current time, timezone-aware; default UTC now.
    """

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        egress: EgressPolicy,
        timeout_s: float,
        schedule: list[timedelta],
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(
            transport=GuardedTransport(egress), trust_env=False
        )
        self._egress = egress
        self._timeout_s = timeout_s
        self._schedule = list(schedule)
        self._clock = clock

    async def aclose(self) -> None:
        """Close the client if this sender built it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def deliver(self, message_id: str) -> None:
        """Make one delivery attempt of a SENDING message and record it; a message in any other status is left.

        Never raises (short of cancellation): whatever goes wrong is logged and, when the database allows,
        recorded on the message. Never touches the message's task.

        Parameters:
          message_id: the id of a message claimed by `due_message_ids`.
        """
        try:
            message = await OutboundMessage.get_or_none(id=uuid.UUID(str(message_id)))
            if message is None or message.status != MessageStatus.SENDING:
                logger.debug("message %r is not SENDING; nothing to deliver", message_id)
                return
            try:
                outcome = await self._attempt(message)
            except Exception as exc:  # a bug or a database error mid-attempt: retry, do not lose the message
                logger.exception("message %r: delivery attempt crashed", message_id)
                outcome = _Outcome(retryable=True, error=f"internal error during delivery: {type(exc).__name__}")
            await self._record(message, outcome)
        except Exception:
            # Even recording failed (database down): the claim's lease runs out and the message is retried.
            logger.exception("message %r: delivery could not be recorded; it is retried when its lease ends",
                             message_id)

    async def _attempt(self, message: OutboundMessage) -> _Outcome:
        webhook = await Webhook.get_or_none(id=message.webhook_id) if message.webhook_id is not None else None
        if webhook is None:
            return _Outcome(error="the message has no webhook (it was deleted); nothing was sent")
        if not webhook.is_active:
            return _Outcome(error=f"webhook {webhook.id} is inactive (a 410 Gone or updateWebhook turned it off); "
                                  "activate it with updateWebhook, then redeliverMessage")
        try:
            await self._egress.check_url(webhook.url)
        except EgressRefused as exc:
            return _Outcome(error=str(exc))
        except OSError as exc:  # the name did not resolve: maybe a DNS hiccup, so worth another try
            return _Outcome(retryable=True, error=f"cannot resolve the webhook's host: {exc}")
        body = encode_payload(message.payload)
        msg_id = str(message.id)
        timestamp = int(self._clock().timestamp())
        try:
            signature = sign(webhook.secret, msg_id, timestamp, body)
        except ValueError as exc:
            return _Outcome(error=str(exc))
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        return await self._post(webhook, body, headers)

    async def _post(self, webhook: Webhook, body: bytes, headers: dict[str, str]) -> _Outcome:
        try:
            # The whole attempt, connection to last byte read, gets timeout_s ("2xx within the timeout").
            async with asyncio.timeout(self._timeout_s), self._client.stream(
                "POST", webhook.url, content=body, headers=headers, timeout=self._timeout_s, follow_redirects=False
            ) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return _Outcome(ok=True, response_status=status)
                if status == 410:
                    return _Outcome(response_status=status, deactivate_webhook=True,
                                    error="HTTP 410 Gone: the receiver wants no more messages; webhook deactivated")
                excerpt = await _body_excerpt(response)
                return _Outcome(
                    retryable=True, response_status=status, retry_after_s=self._retry_after_s(response),
                    error=f"HTTP {status} {response.reason_phrase}".rstrip() + (f": {excerpt}" if excerpt else ""),
                )
        except EgressRefused as exc:  # the client's own guard refused it (another policy than ours)
            return _Outcome(error=str(exc))
        except (TimeoutError, httpx.TimeoutException):
            return _Outcome(retryable=True, error=f"no answer within the {self._timeout_s:g} s timeout")
        except (httpx.HTTPError, OSError) as exc:
            return _Outcome(retryable=True, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    def _retry_after_s(self, response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after", "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:  # an HTTP-date is GMT by definition
                when = when.replace(tzinfo=UTC)
            seconds = (when - self._clock()).total_seconds()
        return seconds if seconds >= 0 else None

    async def _record(self, message: OutboundMessage, outcome: _Outcome) -> None:
        now = self._clock()
        attempt = message.attempts + 1
        retry_at = None
        error = outcome.error
        if outcome.retryable:
            if attempt <= len(self._schedule):
                delay = self._schedule[attempt - 1].total_seconds()
                if outcome.retry_after_s is not None:
                    delay = max(delay, min(outcome.retry_after_s, MAX_RETRY_AFTER_S))
                retry_at = now + timedelta(seconds=delay)
            else:
                error = f"{error} (gave up after {attempt} attempts)"
        await record_attempt(
            str(message.id), ok=outcome.ok, response_status=outcome.response_status, error=error,
            retry_at=retry_at, deactivate_webhook=outcome.deactivate_webhook, now=now,
        )
        observe_delivery("delivered" if outcome.ok else "retrying" if retry_at is not None else "failed")
        if outcome.ok:
            logger.info("message %r delivered (attempt %d, HTTP %s)", str(message.id), attempt,
                        outcome.response_status)
        elif retry_at is not None:
            logger.warning("message %r: attempt %d failed (%s); retrying at %s", str(message.id), attempt, error,
                           retry_at.isoformat())
        else:
            logger.warning("message %r: delivery FAILED on attempt %d (%s)", str(message.id), attempt, error)


async def _body_excerpt(response: httpx.Response) -> str:
    """The start of an error response's body, read no further than that (a receiver may send a lot)."""
    chunk = b""
    async for part in response.aiter_bytes():
        chunk += part
        if len(chunk) >= _ERROR_BODY_BYTES:
            break
    return " ".join(chunk[:_ERROR_BODY_BYTES].decode(errors="replace").split())
