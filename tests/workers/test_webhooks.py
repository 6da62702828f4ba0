"""Webhook delivery against a real receiver on 127.0.0.1: signatures checked by the independent
`standardwebhooks` package, retries, 410, Retry-After, egress refusal, and claiming under concurrency.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import standardwebhooks
from conftest import free_port, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.egress import EgressPolicy
from domain.enums import MessageStatus
from domain.models import OutboundMessage, Webhook, Workspace
from domain.services.messages import due_message_ids, enqueue_message, parse_schedule
from domain.services.webhooks import create_webhook
from workers.webhooks import USER_AGENT, WebhookSender, sign

LOCAL = EgressPolicy(["127.0.0.1/32"])
NO_DELAY = [timedelta(0), timedelta(0)]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint that records every request and answers the scripted replies in order (then 200)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)

    def answer(self, *replies: Reply | int) -> None:
        self.script = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    async def handle(self, request: Request) -> Response:
        self.requests.append(Received(dict(request.headers), await request.body()))
        reply = self.script.pop(0) if self.script else Reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return Response(status_code=reply.status, headers=reply.headers)


@pytest.fixture(scope="module")
async def receiver_server() -> AsyncIterator[Receiver]:
    port = free_port()
    receiver = Receiver(url=f"http://127.0.0.1:{port}/hook")
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    async with serving(app, port):
        yield receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.requests.clear()
    receiver_server.script.clear()
    return receiver_server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


@pytest.fixture
def sender(client: httpx.AsyncClient) -> WebhookSender:
    return WebhookSender(client=client, egress=LOCAL, timeout_s=5, schedule=NO_DELAY)


@dataclass
class Hook:
    workspace_id: str
    webhook: Webhook
    secret: str


@pytest.fixture
async def hook(db: str, receiver: Receiver) -> Hook:
    workspace = await Workspace.create(id=uuid.uuid4(), name="acme")
    webhook, secret = await create_webhook(str(workspace.id), name="receiver", url=receiver.url, secret=None,
                                           is_active=True, egress=LOCAL)
    return Hook(str(workspace.id), webhook, secret)


def notification(text: str = "hello") -> dict[str, Any]:
    return {"taskId": None, "recipient": "ops@example.com", "subject": "Hi", "message": text}


async def enqueue(hook: Hook, **overrides: Any) -> OutboundMessage:
    values: dict[str, Any] = {"type": "notification", "data": notification(), "body": "hello"}
    values.update(overrides)
    return await enqueue_message(workspace_id=hook.workspace_id, webhook_id=str(hook.webhook.id), task_id=None,
                                 **values)


async def claim_and_deliver(sender: WebhookSender, message: OutboundMessage) -> OutboundMessage:
    assert str(message.id) in await due_message_ids(datetime.now(UTC))
    await sender.deliver(str(message.id))
    await message.refresh_from_db()
    return message


# --- the payload -------------------------------------------------------------------------------------


async def test_enqueued_message_carries_the_payload_and_is_due_now(hook: Hook) -> None:
    message = await enqueue(hook)

    assert message.status == MessageStatus.QUEUED
    assert message.next_attempt_at is not None and message.next_attempt_at <= datetime.now(UTC)
    assert message.payload == {"id": str(message.id), "type": "notification",
                               "timestamp": message.created_at.isoformat(), "data": notification()}


async def test_message_scheduled_later_is_not_due_before_its_time(hook: Hook) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    message = await enqueue(hook, type="reminder", scheduled_for=later)

    assert message.status == MessageStatus.SCHEDULED
    assert await due_message_ids(datetime.now(UTC)) == []
    assert await due_message_ids(later) == [str(message.id)]


@pytest.mark.parametrize(("type_", "data", "problem"), [
    pytest.param("notice", notification(), "unknown message type 'notice'", id="unknown type"),
    pytest.param("notification", {"message": "x"}, "missing recipient, subject, taskId", id="missing keys"),
    pytest.param("notification", {**notification(), "extra": 1}, "unexpected extra", id="extra key"),
    pytest.param("task.failed", {"task": {"id": "t"}, "executionId": "e", "error": "x", "errorCount": 1},
                 "data.task: missing", id="task keys"),
    pytest.param("notification", {**notification(), "message": datetime.now(UTC)}, "not JSON-serialisable",
                 id="not JSON"),
])
async def test_enqueue_rejects_a_payload_that_breaks_the_contract(hook: Hook, type_: str, data: Any,
                                                                 problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        await enqueue(hook, type=type_, data=data)
    assert await OutboundMessage.all().count() == 0


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("5s,5m,30m,2h,5h,10h,24h", [5, 300, 1800, 7200, 18000, 36000, 86400], id="default"),
    pytest.param(" 0s , 1.5s ,1d", [0, 1.5, 86400], id="spaces, decimals, days"),
    pytest.param("", [], id="blank: no retries"),
])
def test_parse_schedule_reads_steps_with_units(value: str, expected: list[float]) -> None:
    assert parse_schedule(value) == [timedelta(seconds=s) for s in expected]


@pytest.mark.parametrize("value", ["5", "5x", "5s,,5m", "-5s", "five minutes"])
def test_parse_schedule_rejects_a_bad_step(value: str) -> None:
    with pytest.raises(ValueError, match="webhook schedule step"):
        parse_schedule(value)


# --- delivery ----------------------------------------------------------------------------------------


async def test_delivery_is_signed_per_standard_webhooks(hook: Hook, receiver: Receiver, sender: WebhookSender) -> None:
    message = await claim_and_deliver(sender, await enqueue(hook))

    assert message.status == MessageStatus.SENT and message.attempts == 1 and message.response_status == 200
    assert message.sent_at is not None
    [request] = receiver.requests
    # The independent implementation of the spec accepts the signature and returns the payload.
    assert standardwebhooks.Webhook(hook.secret).verify(request.body, request.headers) == message.payload
    assert request.headers["webhook-id"] == str(message.id)
    assert abs(int(request.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["webhook-signature"] == sign(
        hook.secret, str(message.id), int(request.headers["webhook-timestamp"]), request.body
    )


async def test_receiver_500_then_200_records_two_attempts(hook: Hook, receiver: Receiver,
                                                          sender: WebhookSender) -> None:
    receiver.answer(500, 200)
    message = await enqueue(hook)

    message = await claim_and_deliver(sender, message)
    assert (message.status, message.attempts, message.response_status) == (MessageStatus.QUEUED, 1, 500)
    assert message.last_error is not None and message.last_error.startswith("HTTP 500")

    message = await claim_and_deliver(sender, message)
    assert (message.status, message.attempts, message.response_status) == (MessageStatus.SENT, 2, 200)
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(message.id)
    for request in (first, second):
        standardwebhooks.Webhook(hook.secret).verify(request.body, request.headers)


async def test_receiver_410_fails_the_message_and_deactivates_the_webhook(hook: Hook, receiver: Receiver,
                                                                          sender: WebhookSender) -> None:
    receiver.answer(410)
    message = await claim_and_deliver(sender, await enqueue(hook))

    assert (message.status, message.attempts, message.response_status) == (MessageStatus.FAILED, 1, 410)
    await hook.webhook.refresh_from_db()
    assert hook.webhook.is_active is False

    # Given the webhook is now inactive, when another message is due, then it fails without a request.
    other = await claim_and_deliver(sender, await enqueue(hook))
    assert other.status == MessageStatus.FAILED and other.last_error is not None and "inactive" in other.last_error
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("retry_after", [
    pytest.param(lambda now: "3600", id="seconds"),
    pytest.param(lambda now: format_datetime(now + timedelta(hours=1), usegmt=True), id="HTTP-date"),
])
async def test_retry_after_postpones_the_next_attempt(hook: Hook, receiver: Receiver, client: httpx.AsyncClient,
                                                      retry_after: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sender = WebhookSender(client=client, egress=LOCAL, timeout_s=5, schedule=[timedelta(seconds=5)],
                           clock=lambda: now)
    receiver.answer(Reply(503, {"Retry-After": retry_after(now)}))

    message = await claim_and_deliver(sender, await enqueue(hook))

    assert (message.status, message.response_status) == (MessageStatus.QUEUED, 503)
    assert message.next_attempt_at == now + timedelta(hours=1)


async def test_retry_after_shorter_than_the_schedule_is_overruled(hook: Hook, receiver: Receiver,
                                                                  client: httpx.AsyncClient) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sender = WebhookSender(client=client, egress=LOCAL, timeout_s=5, schedule=[timedelta(minutes=5)],
                           clock=lambda: now)
    receiver.answer(Reply(429, {"Retry-After": "1"}))

    message = await claim_and_deliver(sender, await enqueue(hook))

    assert message.next_attempt_at == now + timedelta(minutes=5)


async def test_message_fails_when_the_schedule_is_exhausted(hook: Hook, receiver: Receiver,
                                                            sender: WebhookSender) -> None:
    receiver.answer(500, 502, 503)
    message = await enqueue(hook)

    for _ in range(3):
        message = await claim_and_deliver(sender, message)

    assert (message.status, message.attempts, message.response_status) == (MessageStatus.FAILED, 3, 503)
    assert message.last_error is not None and "gave up after 3 attempts" in message.last_error
    assert message.next_attempt_at is None
    assert await due_message_ids(datetime.now(UTC) + timedelta(days=1)) == []


async def test_egress_refusal_fails_the_message_without_a_request(hook: Hook, receiver: Receiver,
                                                                  client: httpx.AsyncClient) -> None:
    sender = WebhookSender(client=client, egress=EgressPolicy(), timeout_s=5, schedule=NO_DELAY)

    message = await claim_and_deliver(sender, await enqueue(hook))

    assert (message.status, message.attempts, message.response_status) == (MessageStatus.FAILED, 1, None)
    assert message.last_error is not None and message.last_error.startswith("egress refused")
    assert receiver.requests == []


async def test_unreachable_receiver_is_retried(hook: Hook, sender: WebhookSender) -> None:
    await Webhook.filter(id=hook.webhook.id).update(url=f"http://127.0.0.1:{free_port()}/hook")

    message = await claim_and_deliver(sender, await enqueue(hook))

    assert (message.status, message.attempts, message.response_status) == (MessageStatus.QUEUED, 1, None)
    assert message.last_error is not None and "ConnectError" in message.last_error


async def test_slow_receiver_times_out_and_is_retried(hook: Hook, receiver: Receiver,
                                                      client: httpx.AsyncClient) -> None:
    sender = WebhookSender(client=client, egress=LOCAL, timeout_s=0.2, schedule=NO_DELAY)
    receiver.answer(Reply(200, delay_s=1.0))

    message = await claim_and_deliver(sender, await enqueue(hook))

    assert (message.status, message.response_status) == (MessageStatus.QUEUED, None)
    assert message.last_error is not None and "timeout" in message.last_error


async def test_deleted_webhook_fails_the_message_without_a_request(hook: Hook, receiver: Receiver,
                                                                   sender: WebhookSender) -> None:
    message = await enqueue(hook)
    await hook.webhook.delete()

    message = await claim_and_deliver(sender, message)

    assert message.status == MessageStatus.FAILED
    assert message.last_error is not None and "no webhook" in message.last_error
    assert receiver.requests == []


async def test_deliver_leaves_a_message_it_has_not_claimed(hook: Hook, receiver: Receiver,
                                                           sender: WebhookSender) -> None:
    message = await enqueue(hook)

    await sender.deliver(str(message.id))

    await message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)
    assert receiver.requests == []


async def test_failed_delivery_log_names_the_message_but_not_the_secret(
    hook: Hook, receiver: Receiver, sender: WebhookSender, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.answer(500)
    caplog.set_level(logging.INFO, logger="workers.webhooks")

    message = await claim_and_deliver(sender, await enqueue(hook))

    assert str(message.id) in caplog.text and "HTTP 500" in caplog.text
    signature = receiver.requests[0].headers["webhook-signature"]
    assert hook.secret not in caplog.text
    assert signature.removeprefix("v1,") not in caplog.text


# --- claiming ----------------------------------------------------------------------------------------


async def test_concurrent_claims_take_each_message_once(hook: Hook) -> None:
    messages = [await enqueue(hook) for _ in range(30)]
    now = datetime.now(UTC)

    first, second = await asyncio.gather(due_message_ids(now), due_message_ids(now))

    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(str(m.id) for m in messages)
    assert await OutboundMessage.filter(status=MessageStatus.SENDING).count() == 30


async def test_claim_abandoned_by_a_crashed_deliverer_is_taken_back_after_its_lease(hook: Hook) -> None:
    message = await enqueue(hook)
    now = datetime.now(UTC)
    assert await due_message_ids(now, timeout_s=15) == [str(message.id)]

    # The deliverer never records its attempt. Within the lease (4 x 15 s) nobody takes it again...
    assert await due_message_ids(now + timedelta(seconds=59), timeout_s=15) == []
    # ...after it, the next scheduler does.
    assert await due_message_ids(now + timedelta(seconds=61), timeout_s=15) == [str(message.id)]
