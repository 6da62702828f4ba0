"""Outbound messages to webhooks, the database side: enqueue, claim when due, record each attempt.

A message's JSON payload (API.md "Outgoing webhooks": `{id, type, timestamp, data}`) is built and
validated once, by `enqueue_message`; every attempt sends those same bytes under the same id. The HTTP
side lives in `workers/webhooks.py`; `TASKLOOM_WEBHOOK_SCHEDULE` (read by `parse_schedule`) spaces the
retries and `TASKLOOM_WEBHOOK_TIMEOUT_S` bounds an attempt and, times four, the lease of a claim.

Status life: SCHEDULED (due later) or QUEUED (due now) -> SENDING (claimed by `due_message_ids`) ->
SENT, FAILED, or QUEUED again with a later `next_attempt_at` (`record_attempt`). While SENDING,
`next_attempt_at` holds the end of the claim's lease: a deliverer that crashed mid-attempt leaves the row
SENDING, and once the lease has run out the next `due_message_ids` takes it back.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.enums import MessageStatus
from domain.models import OutboundMessage, Webhook

__all__ = [
    "DEFAULT_WEBHOOK_TIMEOUT_S",
    "LEASE_TIMEOUTS",
    "MESSAGE_TYPES",
    "claim_now",
    "due_message_ids",
    "enqueue_message",
    "parse_schedule",
    "record_attempt",
]

logger = logging.getLogger(__name__)

#: One delivery attempt's time limit when the caller gives none (the `webhook_timeout_s` default).
DEFAULT_WEBHOOK_TIMEOUT_S = 15.0
#: A claim's lease is this many attempt timeouts: a SENDING row older than that lost its deliverer.
LEASE_TIMEOUTS = 4

#: The top-level keys of `data` for each message type (API.md "Outgoing webhooks"), and of `data.task`.
_DATA_KEYS: dict[str, frozenset[str]] = {
    "notification": frozenset({"taskId", "recipient", "subject", "message"}),
    "reminder": frozenset({"taskId", "recipient", "subject", "message"}),
    "task.completed": frozenset({"task", "executionId", "durationMs"}),
    "task.failed": frozenset({"task", "executionId", "error", "errorCount"}),
    "report": frozenset({"reportType", "from", "to", "summary", "data"}),
}
_TASK_KEYS: dict[str, frozenset[str]] = {
    "task.completed": frozenset({"id", "title", "taskType", "status", "resultSummary", "completedAt"}),
    "task.failed": frozenset({"id", "title", "taskType", "status", "lastError"}),
}
#: Every message type a webhook may receive.
MESSAGE_TYPES = frozenset(_DATA_KEYS)

_WAITING = (MessageStatus.QUEUED, MessageStatus.SCHEDULED)
_SCHEDULE_STEP = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _now() -> datetime:
    return datetime.now(UTC)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} ({value.isoformat()}) has no UTC offset; pass a timezone-aware datetime")


def _keys_problem(what: str, got: dict[str, Any], expected: frozenset[str]) -> str | None:
    missing, extra = sorted(expected - got.keys()), sorted(got.keys() - expected)
    if not missing and not extra:
        return None
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unexpected {', '.join(extra)}"] if extra
                                                                          else [])
    return f"{what} {'; '.join(parts)} (expected exactly {', '.join(sorted(expected))})"


def _build_payload(message_id: uuid.UUID, type_: str, data: dict[str, Any], created_at: datetime) -> dict[str, Any]:
    """The webhook body as pure JSON data, or ValueError saying what is wrong with `type` or `data`."""
    if type_ not in _DATA_KEYS:
        raise ValueError(f"unknown message type {type_!r}; use one of {', '.join(sorted(MESSAGE_TYPES))}")
    if not isinstance(data, dict):
        raise ValueError(f"{type_} data must be a JSON object, got {type(data).__name__}")
    problem = _keys_problem(f"{type_} data:", data, _DATA_KEYS[type_])
    if problem is None and type_ in _TASK_KEYS:
        task = data["task"]
        problem = (
            _keys_problem(f"{type_} data.task:", task, _TASK_KEYS[type_])
            if isinstance(task, dict)
            else f"{type_} data.task must be a JSON object, got {type(task).__name__}"
        )
    if problem is not None:
        raise ValueError(problem)
    payload = {"id": str(message_id), "type": type_, "timestamp": created_at.isoformat(), "data": data}
    try:
        # Round-trip so that what is stored is plain JSON data (no tuples, no NaN), exactly what is sent.
        result: dict[str, Any] = json.loads(json.dumps(payload, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{type_} data is not JSON-serialisable ({exc}); convert datetimes with "
                         ".isoformat() and ids with str()") from exc
    return result


async def enqueue_message(
    *,
    workspace_id: str,
    webhook_id: str | None,
    task_id: str | None,
    type: str,
    data: dict[str, Any],
    recipient: str | None = None,
    subject: str | None = None,
    body: str = "",
    scheduled_for: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> OutboundMessage:
    """Store a message for a webhook, due now (QUEUED) or at `scheduled_for` when that is later (SCHEDULED).

    The payload `{id, type, timestamp, data}` is built and validated here, once: `id` is the message's
    id, the same on every retry; `timestamp` is the creation time (ISO 8601, UTC).

    Parameters:
      workspace_id: the workspace the message belongs to.
      webhook_id: where it goes; None (or a webhook deleted later) makes the delivery fail, with a reason.
      task_id: the task it is about, if any.
      type: one of `MESSAGE_TYPES` (`notification`, `reminder`, `task.completed`, `task.failed`, `report`).
      data: the `data` object of that type, with exactly the keys API.md lists for it.
      recipient, subject, body: the human-readable parts shown on the OutboundMessage.
      scheduled_for: when to send it (timezone-aware); None or a past time means now.
      using_db: a connection (transaction) to write through, so the message commits with the caller's writes.

    Raises:
      ValueError: an unknown `type`, `data` missing or adding keys, `data` that is not JSON, or a naive
        `scheduled_for`. These are bugs in the caller, not user input.

    Returns:
      The stored message.
    """
    now = _now()
    if scheduled_for is not None:
        _require_aware("scheduled_for", scheduled_for)
    message_id = uuid.uuid4()
    payload = _build_payload(message_id, type, data, now)
    later = scheduled_for is not None and scheduled_for > now
    return await OutboundMessage.create(
        id=message_id,
        workspace_id=workspace_id,
        webhook_id=webhook_id,
        task_id=task_id,
        type=type,
        recipient=recipient,
        subject=subject,
        body=body,
        payload=payload,
        status=MessageStatus.SCHEDULED if later else MessageStatus.QUEUED,
        scheduled_for=scheduled_for,
        next_attempt_at=scheduled_for if later else now,
        created_at=now,
        using_db=using_db,
    )


async def due_message_ids(
    now: datetime, *, limit: int = 100, timeout_s: float = DEFAULT_WEBHOOK_TIMEOUT_S
) -> list[str]:
    """Claim up to `limit` messages due at `now` (QUEUED or SCHEDULED with `next_attempt_at <= now`) for delivery.

    Each claim is a compare-and-set to SENDING (`status` and `next_attempt_at <= now` as read), so two
    schedulers never both take one message; on PostgreSQL the candidates are also read with
    `FOR UPDATE SKIP LOCKED` in a transaction, so concurrent schedulers pick disjoint rows instead of
    racing for the same ones. A claim's lease, `LEASE_TIMEOUTS * timeout_s`, is kept in `next_attempt_at`:
    SENDING rows whose lease has run out (their deliverer crashed before recording the attempt) are taken
    back too. The attempt the crash interrupted is not counted; the receiver may see that id twice.

    Parameters:
      now: the current time (timezone-aware).
      limit: the most messages claimed by one call.
      timeout_s: one attempt's time limit (`TASKLOOM_WEBHOOK_TIMEOUT_S`), which sizes the lease.

    Raises:
      ValueError: `now` is naive, or `limit` or `timeout_s` is not positive.

    Returns:
      The ids of the messages this call claimed, now SENDING, oldest due first.
    """
    _require_aware("now", now)
    if limit <= 0 or timeout_s <= 0:
        raise ValueError(f"limit ({limit}) and timeout_s ({timeout_s}) must be positive")
    lease_until = now + timedelta(seconds=LEASE_TIMEOUTS * timeout_s)
    due = OutboundMessage.filter(
        status__in=[*_WAITING, MessageStatus.SENDING], next_attempt_at__lte=now
    ).order_by("next_attempt_at", "id").limit(limit).only("id", "status")
    if connections.get("default").capabilities.dialect != "postgres":
        # SQLite has no row locks (select_for_update is a no-op there); the compare-and-set alone decides.
        return await _claim(await due, now, lease_until, None)
    async with in_transaction() as conn:
        rows = await due.select_for_update(skip_locked=True).using_db(conn)
        return await _claim(rows, now, lease_until, conn)


async def claim_now(message_id: str, *, timeout_s: float = DEFAULT_WEBHOOK_TIMEOUT_S) -> bool:
    """Claim one message that is due now (SENDING), so its sender can deliver it without waiting for a tick."""
    now = _now()
    row = await OutboundMessage.get_or_none(id=message_id, status=MessageStatus.QUEUED, next_attempt_at__lte=now)
    if row is None:
        return False
    return bool(await _claim([row], now, now + timedelta(seconds=timeout_s * LEASE_TIMEOUTS), None))


async def _claim(
    rows: list[OutboundMessage], now: datetime, lease_until: datetime, conn: BaseDBAsyncClient | None
) -> list[str]:
    claimed = []
    for row in rows:
        query = OutboundMessage.filter(id=row.id, status=row.status, next_attempt_at__lte=now)
        if conn is not None:
            query = query.using_db(conn)
        if await query.update(status=MessageStatus.SENDING, next_attempt_at=lease_until, updated_at=now) == 1:
            claimed.append(str(row.id))
            if row.status == MessageStatus.SENDING:
                logger.warning("message %r: its delivery lease ran out (deliverer lost?); claimed again", str(row.id))
    return claimed


async def record_attempt(
    message_id: str,
    *,
    ok: bool,
    response_status: int | None,
    error: str | None,
    retry_at: datetime | None,
    deactivate_webhook: bool = False,
    now: datetime | None = None,
) -> None:
    """Record one delivery attempt of a SENDING message: attempts + 1, and where the message goes next.

    `ok` -> SENT with `sent_at`; otherwise `retry_at` given -> QUEUED, due then; otherwise FAILED.
    `last_error` takes `error` when one is given; a success keeps the previous attempt's error, so a
    message SENT on its second try still tells why the first failed. A message that is no longer
    SENDING (someone else recorded it, or it was cancelled) is left alone.

    Parameters:
      message_id: the message's id.
      ok: the receiver accepted it (2xx).
      response_status: the HTTP status received; None when no response came.
      error: what went wrong, for `last_error`.
      retry_at: when to try again (timezone-aware), if at all.
      deactivate_webhook: also set the message's webhook inactive (the receiver answered 410 Gone).
      now: the time of the attempt, for `sent_at`; default the clock.

    Raises:
      ValueError: `retry_at` or `now` is naive.
    """
    now = now if now is not None else _now()
    _require_aware("now", now)
    changes: dict[str, Any] = {"attempts": F("attempts") + 1, "response_status": response_status, "updated_at": now}
    if error is not None:
        changes["last_error"] = error
    if ok:
        changes.update(status=MessageStatus.SENT, sent_at=now, next_attempt_at=None)
    elif retry_at is not None:
        _require_aware("retry_at", retry_at)
        changes.update(status=MessageStatus.QUEUED, next_attempt_at=retry_at)
    else:
        changes.update(status=MessageStatus.FAILED, next_attempt_at=None)
    async with in_transaction() as conn:
        moved = await OutboundMessage.filter(id=message_id, status=MessageStatus.SENDING).using_db(conn).update(
            **changes
        )
        if moved == 0:
            logger.warning("message %r is no longer SENDING; its attempt is not recorded", message_id)
            return
        if deactivate_webhook:
            webhook_ids = (
                await OutboundMessage.filter(id=message_id).using_db(conn).values_list("webhook_id", flat=True)
            )
            if webhook_ids and webhook_ids[0] is not None:
                await Webhook.filter(id=webhook_ids[0]).using_db(conn).update(is_active=False, updated_at=now)


def parse_schedule(value: str) -> list[timedelta]:
    """Parse a retry schedule such as `5s,5m,30m,2h,5h,10h,24h` (`TASKLOOM_WEBHOOK_SCHEDULE`).

    Each comma-separated step is a non-negative number and a unit: `s`, `m`, `h` or `d`. The n-th step is
    the wait after the n-th failed attempt, so a schedule of k steps allows 1 + k attempts. A blank value
    means no retries.

    Raises:
      ValueError: a step is empty or not `<number><unit>`, naming the step and its position.

    Returns:
      The waits, in order.
    """
    if not value.strip():
        return []
    steps = []
    for position, raw in enumerate(value.split(","), start=1):
        match = _SCHEDULE_STEP.fullmatch(raw.strip().lower())
        if match is None:
            raise ValueError(
                f"webhook schedule step {position} ({raw.strip()!r}) is not a number and a unit s, m, h or d; "
                "write e.g. 5s,5m,30m,2h,5h,10h,24h"
            )
        steps.append(timedelta(seconds=float(match[1]) * _UNIT_S[match[2]]))
    return steps
