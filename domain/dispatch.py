"""The Dispatcher port: how a QUEUED task reaches the workers after its transaction commits.

The database is the truth; a dispatch that fails or is lost is repeated by the scheduler's re-send of
unclaimed QUEUED tasks. `RecordingDispatcher` keeps what it was asked to send (the API's default until a
broker is plugged in, and a test double that is a real implementation).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import TaskPriority

__all__ = ["DispatchRequest", "Dispatcher", "RecordingDispatcher"]


@dataclass(frozen=True)
class DispatchRequest:
    task_id: str
    priority: TaskPriority


class Dispatcher:
    """Sends task ids to the workers, and claimed outbound message ids to delivery."""

    async def dispatch(self, requests: list[DispatchRequest]) -> None:
        raise NotImplementedError

    async def deliver(self, message_ids: list[str]) -> None:
        raise NotImplementedError


class RecordingDispatcher(Dispatcher):
    """Remembers every request and sends nothing."""

    def __init__(self) -> None:
        self.sent: list[DispatchRequest] = []
        self.delivered: list[str] = []

    async def dispatch(self, requests: list[DispatchRequest]) -> None:
        self.sent.extend(requests)

    async def deliver(self, message_ids: list[str]) -> None:
        self.delivered.extend(message_ids)
