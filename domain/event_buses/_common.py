"""What the cross-process buses share: reconnect timings, the re-scan notices, decoding, cancelling, redaction."""

from __future__ import annotations

import asyncio
import logging
from typing import get_args
from urllib.parse import urlsplit, urlunsplit

from domain.events import Notice, NoticeKind

__all__ = [
    "CONNECT_TIMEOUT_S",
    "HEALTH_CHECK_INTERVAL_S",
    "RECONNECT_INITIAL_DELAY_S",
    "RECONNECT_MAX_DELAY_S",
    "RESCAN_NOTICES",
    "cancel_task",
    "decode_notice",
    "redacted",
]

logger = logging.getLogger(__name__)

#: Delivered after a reconnect: id 0 and workspace "*" mean "everyone read the table again" (a notice may
#: have been published while the bus was away).
RESCAN_NOTICES = (Notice("event", 0, "*"), Notice("log", 0, "*"))
#: Reconnect backoff: first wait, and the longest (doubling in between).
RECONNECT_INITIAL_DELAY_S = 0.5
RECONNECT_MAX_DELAY_S = 5.0
#: Connecting may take this long before it counts as a failure.
CONNECT_TIMEOUT_S = 5.0
#: A quiet listening connection is checked this often.
HEALTH_CHECK_INTERVAL_S = 30.0

_KINDS = frozenset(get_args(NoticeKind))


async def cancel_task(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for its end, cancelling again if a library swallowed the first cancel."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1)
    if not task.cancelled() and task.exception() is not None:
        logger.error("the %s task had failed", task.get_name(), exc_info=task.exception())


def decode_notice(payload: str | bytes, channel: str) -> Notice | None:
    """The notice in `payload`, or None (logged) when it is not one: a stranger may write on our channel."""
    try:
        notice = Notice.decode(payload)
        if notice.kind not in _KINDS:
            raise ValueError(f"unknown kind {notice.kind!r}")
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring a malformed notice on %r (%s): %r", channel, exc, payload[:200])
        return None
    return notice


def redacted(url: str) -> str:
    """`url` with its password replaced by `***`, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
