"""The GHL_ACTION executor and GhlClient against a fake GoHighLevel on 127.0.0.1 (`fake_ghl.FakeGhl`).

The ExecutionContext's shared client is the production one with an EMPTY egress allow-list, which refuses
127.0.0.1: every call below reaching the fake proves GHL calls use the trusted, unguarded GHL client.
The rate-limit tests count the requests' arrival times at the fake; the Redis variant needs Redis at
redis://127.0.0.1:6379/3 (skipped when it is not there, failed when CI=true).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import free_port, service_unavailable, serving
from fake_ghl import Answer, FakeGhl, ghl_error
from redis.asyncio import Redis

from domain.configs.ghl_action import GhlActionConfig
from domain.errors import PermanentError, RetryableError
from domain.services.rate_limits import (
    DatabaseRateLimiter,
    LocalRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    build_rate_limiter,
)
from domain.settings import Settings
from workers.context import ExecutionContext
from workers.executors.ghl_action import run
from workers.ghl import (
    DAILY_LIMIT_RETRY_AFTER_S,
    GhlClient,
    close_shared_resources,
    shared_resources,
)
from workers.http import aiohttp_transport, build_http_client

TOKEN = "pit-s3cr3t-7f3a9c1e-4b2d-4e8f-9a6b-0c5d1e2f3a4b"
WRONG_TOKEN = "pit-wr0ng-11111111-2222-3333-4444-555555555555"
LOCATION = "ve9EPM428h8vShlRW1KT"
OTHER_LOCATION = "Qx7LmN2pR4sT6uV8wY0z"
FOREIGN_LOCATION = "ZZZZZZZZZZZZZZZZZZZZ"
REDIS_URL = "redis://127.0.0.1:6379/3"


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def fake_server() -> AsyncIterator[FakeGhl]:
    """The fake under uvicorn on 127.0.0.1, on the tests' event loop."""
    fake = FakeGhl(token=TOKEN, location_ids=(LOCATION, OTHER_LOCATION))
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}"
    async with serving(fake.app(), port):
        yield fake
    await close_shared_resources()


@pytest.fixture
def fake(fake_server: FakeGhl) -> Iterator[FakeGhl]:
    fake_server.reset()
    yield fake_server
    fake_server.reset()


MakeCtx = Callable[..., ExecutionContext]


@pytest.fixture
async def make_ctx(fake: FakeGhl) -> AsyncIterator[MakeCtx]:
    """An ExecutionContext as the runner builds it: GHL settings pointing at the fake, a guarded ctx.http."""
    clients: list[httpx.AsyncClient] = []

    def make(*, deadline_s: float = 30.0, **overrides: Any) -> ExecutionContext:
        values: dict[str, Any] = {"ghl_base_url": fake.url, "ghl_api_key": TOKEN, "ghl_location_id": LOCATION,
                                  "egress_allowlist": "", **overrides}
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        client = build_http_client(settings, transport=aiohttp_transport())
        clients.append(client)
        return ExecutionContext(task_id="task-1", execution_id="exec-1", workspace_id="ws-1", attempt=1,
                                http=client, settings=settings,
                                deadline=asyncio.get_running_loop().time() + deadline_s)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def ctx(make_ctx: MakeCtx) -> ExecutionContext:
    return make_ctx()


@pytest.fixture
async def plain_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=aiohttp_transport(), trust_env=False) as client:
        yield client


def ghl(**config: Any) -> GhlActionConfig:
    """A GhlActionConfig from API.md's camelCase keys, validated as the API would."""
    return GhlActionConfig.model_validate(config)


def seed(fake: FakeGhl) -> dict[str, Any]:
    return fake.seed_contact(firstName="Rubika", lastName="Deo", email="rubika@deos.com", phone="+18832327657",
                             tags=["lead"])


# -- every action ---------------------------------------------------------------------------------------

# (config for the seeded contact id, method, path for that id, Version, body sent, result keys, summary start)
ACTIONS = [
    pytest.param(
        lambda cid: {"ghlAction": "add_contact", "firstName": "Ann", "email": "ann@example.com", "tags": ["new"]},
        "POST", lambda cid: "/contacts/", "2021-07-28",
        lambda cid: {"firstName": "Ann", "email": "ann@example.com", "tags": ["new"], "locationId": LOCATION},
        {"contact"}, "add_contact -> contact ", id="add_contact",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "upsert_contact", "email": "rubika@deos.com", "lastName": "Lee"},
        "POST", lambda cid: "/contacts/upsert", "2021-07-28",
        lambda cid: {"email": "rubika@deos.com", "lastName": "Lee", "locationId": LOCATION},
        {"contact", "new"}, "upsert_contact -> contact {cid} (existing)", id="upsert_contact",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "update_contact", "contactId": cid, "firstName": "Ruby", "phone": "+15550100"},
        "PUT", lambda cid: f"/contacts/{cid}", "2021-07-28",
        lambda cid: {"firstName": "Ruby", "phone": "+15550100"},
        {"contact"}, "update_contact -> contact {cid}", id="update_contact",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "add_tag", "contactId": cid, "tags": ["vip", "2024"]},
        "POST", lambda cid: f"/contacts/{cid}/tags", "2021-07-28", lambda cid: {"tags": ["vip", "2024"]},
        {"tags"}, "add_tag -> contact {cid} (tags now: lead, vip, 2024)", id="add_tag",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "remove_tag", "contactId": cid, "tags": ["lead"]},
        "DELETE", lambda cid: f"/contacts/{cid}/tags", "2021-07-28", lambda cid: {"tags": ["lead"]},
        {"tags"}, "remove_tag -> contact {cid} (tags now: none)", id="remove_tag",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "add_note", "contactId": cid, "body": "Called, call back Monday"},
        "POST", lambda cid: f"/contacts/{cid}/notes", "2021-07-28",
        lambda cid: {"body": "Called, call back Monday"},
        {"note"}, "add_note -> note ", id="add_note",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "send_sms", "contactId": cid, "message": "Hello from the bot"},
        "POST", lambda cid: "/conversations/messages", "2021-04-15",
        lambda cid: {"type": "SMS", "contactId": cid, "message": "Hello from the bot"},
        {"conversationId", "messageId", "msg"}, "send_sms -> message ", id="send_sms",
    ),
    pytest.param(
        lambda cid: {"ghlAction": "create_opportunity", "contactId": cid, "pipelineId": "VDm7RPYC2GLUvdpKmBfC",
                     "pipelineStageId": "7915dedc-8f18-44d5-8bc3-77c04e994a10", "name": "First Opps",
                     "status": "open", "monetaryValue": 220.0},
        "POST", lambda cid: "/opportunities/", "2021-07-28",
        lambda cid: {"pipelineId": "VDm7RPYC2GLUvdpKmBfC", "pipelineStageId": "7915dedc-8f18-44d5-8bc3-77c04e994a10",
                     "name": "First Opps", "status": "open", "contactId": cid, "monetaryValue": 220.0,
                     "locationId": LOCATION},
        {"opportunity"}, "create_opportunity -> opportunity ", id="create_opportunity",
    ),
]


@pytest.mark.parametrize(("config", "method", "path", "version", "sent", "keys", "summary"), ACTIONS)
async def test_every_action_succeeds_against_the_fake(
    fake: FakeGhl, ctx: ExecutionContext, config: Any, method: str, path: Any, version: str, sent: Any,
    keys: set[str], summary: str,
) -> None:
    # Given a contact that exists in the location
    cid = seed(fake)["id"]

    # When the executor runs the action
    result = await run(ghl(**config(cid)), ctx)

    # Then GHL got exactly one well-formed request, and the result is its entity
    [request] = fake.seen
    assert (request.method, request.path, request.query) == (method, path(cid), {})
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["version"] == version
    assert request.headers["content-type"] == "application/json"
    assert request.json == sent(cid)
    assert set(result.output) == keys
    assert result.summary.startswith(summary.format(cid=cid))
    assert not fake.limited
    assert [line.level for line in ctx.lines] == ["INFO", "INFO"]
    assert ctx.lines[0].message.startswith(f"{config(cid)['ghlAction']}: calling GoHighLevel")
    assert ctx.lines[1].message.startswith(result.summary)


async def test_the_result_is_the_entity_ghl_returned(fake: FakeGhl, ctx: ExecutionContext) -> None:
    result = await run(ghl(ghlAction="add_contact", firstName="Ann", email="ann@example.com"), ctx)

    contact = result.output["contact"]
    assert contact == fake.contacts[contact["id"]]
    assert contact["locationId"] == LOCATION and len(contact["id"]) == 20
    assert result.summary == f"add_contact -> contact {contact['id']}"


async def test_upsert_reports_a_new_contact_and_drops_the_trace_id(fake: FakeGhl, ctx: ExecutionContext) -> None:
    result = await run(ghl(ghlAction="upsert_contact", phone="+15550199", firstName="Bo"), ctx)

    assert result.output["new"] is True and "traceId" not in result.output
    assert result.summary.endswith("(new)")


async def test_the_config_location_wins_over_the_setting(fake: FakeGhl, ctx: ExecutionContext) -> None:
    result = await run(ghl(ghlAction="add_contact", email="x@example.com", locationId=OTHER_LOCATION), ctx)

    assert fake.seen[-1].json["locationId"] == OTHER_LOCATION
    assert result.output["contact"]["locationId"] == OTHER_LOCATION


@pytest.mark.parametrize("action", ["add_contact", "upsert_contact", "create_opportunity"])
async def test_no_location_fails_naming_the_setting_before_any_request(
    fake: FakeGhl, make_ctx: MakeCtx, action: str
) -> None:
    config = {"add_contact": {"email": "a@b.co"}, "upsert_contact": {"email": "a@b.co"},
              "create_opportunity": {"pipelineId": "p", "name": "n", "status": "open", "contactId": "c"}}[action]

    with pytest.raises(PermanentError, match="TASKLOOM_GHL_LOCATION_ID"):
        await run(ghl(ghlAction=action, **config), make_ctx(ghl_location_id=""))
    assert fake.seen == []


async def test_actions_on_a_contact_need_no_location(fake: FakeGhl, make_ctx: MakeCtx) -> None:
    cid = seed(fake)["id"]

    result = await run(ghl(ghlAction="add_note", contactId=cid, body="hi"), make_ctx(ghl_location_id=""))

    assert result.output["note"]["contactId"] == cid
    assert "locationId" not in fake.seen[-1].json


async def test_no_api_key_fails_naming_the_setting(fake: FakeGhl, make_ctx: MakeCtx) -> None:
    with pytest.raises(PermanentError, match="TASKLOOM_GHL_API_KEY"):
        await run(ghl(ghlAction="add_contact", email="a@b.co"), make_ctx(ghl_api_key=""))
    assert fake.seen == []


# -- errors ---------------------------------------------------------------------------------------------


async def test_a_422_is_permanent_with_the_message_array_joined(fake: FakeGhl, ctx: ExecutionContext) -> None:
    fake.script("POST", "/contacts/", Answer(422, ghl_error(422, ["email must be an email", "phone is invalid"])))

    with pytest.raises(PermanentError) as raised:
        await run(ghl(ghlAction="add_contact", email="not-an-email"), ctx)

    assert "HTTP 422" in raised.value.message
    assert raised.value.message.endswith(": email must be an email; phone is invalid")
    assert ctx.lines[-1].level == "WARNING" and "email must be an email; phone is invalid" in ctx.lines[-1].message


async def test_a_stray_location_id_is_refused_by_the_fake_as_by_ghl(
    fake: FakeGhl, plain_http: httpx.AsyncClient
) -> None:
    cid = seed(fake)["id"]
    client = GhlClient(client=plain_http, base_url=fake.url, token=TOKEN, limiter=LocalRateLimiter(
        max_requests=10, window_s=1), location_id=LOCATION)

    with pytest.raises(PermanentError, match=r"HTTP 422 .*: property locationId should not exist$"):
        await client.update_contact(cid, {"locationId": LOCATION})


async def test_a_wrong_token_is_permanent_and_names_the_setting(fake: FakeGhl, make_ctx: MakeCtx) -> None:
    with pytest.raises(PermanentError) as raised:
        await run(ghl(ghlAction="add_contact", email="a@b.co"), make_ctx(ghl_api_key=WRONG_TOKEN))

    assert "HTTP 401 Unauthorized" in raised.value.message and "Invalid JWT" in raised.value.message
    assert "TASKLOOM_GHL_API_KEY" in raised.value.message
    assert WRONG_TOKEN not in raised.value.message


async def test_a_401_for_a_missing_scope_is_permanent(fake: FakeGhl, ctx: ExecutionContext) -> None:
    cid = seed(fake)["id"]
    fake.script("POST", "/conversations/messages",
                Answer(401, ghl_error(401, "The token is not authorized for this scope.")))

    with pytest.raises(PermanentError, match="The token is not authorized for this scope"):
        await run(ghl(ghlAction="send_sms", contactId=cid, message="hi"), ctx)


async def test_a_location_the_token_may_not_use_is_a_permanent_403(fake: FakeGhl, ctx: ExecutionContext) -> None:
    with pytest.raises(PermanentError, match=r"HTTP 403 Forbidden.*locationId"):
        await run(ghl(ghlAction="add_contact", email="a@b.co", locationId=FOREIGN_LOCATION), ctx)


async def test_a_404_is_permanent(fake: FakeGhl, ctx: ExecutionContext) -> None:
    fake.script("PUT", "/contacts/gone", Answer(404, ghl_error(404, "Contact not found")))

    with pytest.raises(PermanentError, match=r"HTTP 404 Not Found.*Contact not found"):
        await run(ghl(ghlAction="update_contact", contactId="gone", firstName="X"), ctx)


async def test_an_unknown_contact_is_permanent(fake: FakeGhl, ctx: ExecutionContext) -> None:
    with pytest.raises(PermanentError, match="Contact with id nobody not found"):
        await run(ghl(ghlAction="add_tag", contactId="nobody", tags=["x"]), ctx)


async def test_a_duplicate_contact_is_permanent_and_names_the_existing_one(
    fake: FakeGhl, ctx: ExecutionContext
) -> None:
    existing = seed(fake)

    with pytest.raises(PermanentError) as raised:
        await run(ghl(ghlAction="add_contact", firstName="Other", email="RUBIKA@deos.com"), ctx)

    message = raised.value.message
    assert "This location does not allow duplicated contacts." in message
    assert f"contact {existing['id']} already exists (same email)" in message
    assert "upsert_contact" in message
    assert len(fake.contacts) == 1


@pytest.mark.parametrize(
    ("headers", "expected_s"),
    [
        pytest.param({"X-RateLimit-Remaining": "0", "X-RateLimit-Interval-Milliseconds": "10000",
                      "X-RateLimit-Max": "100"}, 10.0, id="burst-window-from-X-RateLimit"),
        pytest.param({"Retry-After": "7", "X-RateLimit-Remaining": "0"}, 7.0, id="Retry-After-wins"),
        pytest.param({"X-RateLimit-Daily-Remaining": "0", "X-RateLimit-Remaining": "40"},
                     DAILY_LIMIT_RETRY_AFTER_S, id="daily-limit-spent"),
    ],
)
async def test_a_429_is_retryable_with_the_headers_wait_then_the_retry_succeeds(
    fake: FakeGhl, make_ctx: MakeCtx, headers: dict[str, str], expected_s: float
) -> None:
    cid = seed(fake)["id"]
    fake.script("POST", f"/contacts/{cid}/notes", Answer(429, {"statusCode": 429, "message": "Too Many Requests"},
                                                         headers))
    config = ghl(ghlAction="add_note", contactId=cid, body="hello")

    # When the first attempt meets the 429
    with pytest.raises(RetryableError) as raised:
        await run(config, make_ctx())
    # Then it is retryable, waiting what the headers ask
    assert raised.value.retry_after_s == expected_s
    assert "HTTP 429" in raised.value.message and "rate limit" in raised.value.message

    # And the next attempt succeeds
    result = await run(config, make_ctx())
    assert result.output["note"]["body"] == "hello"
    assert len(fake.to("POST", f"/contacts/{cid}/notes")) == 2


async def test_a_5xx_is_retryable_honouring_retry_after(fake: FakeGhl, ctx: ExecutionContext) -> None:
    fake.script("POST", "/contacts/upsert", Answer(503, {"statusCode": 503, "message": "Service Unavailable"},
                                                   {"Retry-After": "5"}))

    with pytest.raises(RetryableError, match=r"HTTP 503.*Service Unavailable") as raised:
        await run(ghl(ghlAction="upsert_contact", email="a@b.co"), ctx)
    assert raised.value.retry_after_s == 5.0


async def test_an_unreachable_ghl_is_retryable(make_ctx: MakeCtx) -> None:
    with pytest.raises(RetryableError, match="could not connect"):
        await run(ghl(ghlAction="add_contact", email="a@b.co"), make_ctx(ghl_base_url=f"http://127.0.0.1:{free_port()}"))


# -- what the fake checks (it must refuse what GHL refuses) ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "message"),
    [
        pytest.param("POST", "/contacts/", {"Version": "2021-07-28"}, {"locationId": LOCATION}, 401,
                     "Invalid JWT", id="no-token"),
        pytest.param("POST", "/contacts/", {"Authorization": f"Bearer {TOKEN}"}, {"locationId": LOCATION}, 401,
                     "version header was not found.", id="no-version"),
        pytest.param("POST", "/conversations/messages", {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"},
                     {"type": "SMS", "contactId": "c"}, 401, "version header is invalid", id="contacts-version-on-sms"),
        pytest.param("POST", "/contacts/", {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"},
                     {"email": "a@b.co"}, 422, ["locationId should not be empty"], id="create-without-location"),
        pytest.param("POST", "/contacts/{cid}/notes", {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"},
                     {"body": "x", "locationId": LOCATION}, 422, ["property locationId should not exist"],
                     id="location-on-notes"),
        pytest.param("DELETE", "/contacts/{cid}/tags", {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"},
                     None, 422, ["tags should not be empty"], id="delete-tags-without-body"),
        pytest.param("PUT", "/contacts/{cid}?locationId=" + LOCATION,
                     {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"}, {"firstName": "x"}, 422,
                     ["property locationId should not exist"], id="location-in-query"),
    ],
)
async def test_the_fake_refuses_what_ghl_refuses(
    fake: FakeGhl, plain_http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str],
    body: dict[str, Any] | None, status: int, message: Any,
) -> None:
    cid = seed(fake)["id"]

    response = await plain_http.request(method, fake.url + path.format(cid=cid), headers=headers, json=body)

    assert response.status_code == status
    assert response.json()["message"] == message
    assert "X-RateLimit-Remaining" in response.headers


# -- the shared rate limiter ----------------------------------------------------------------------------


def most_in_any_window(times: list[float], window_s: float) -> int:
    """The most arrivals inside any half-open interval of `window_s` seconds."""
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + window_s) for i, start in enumerate(times)), default=0)


# Requests leave our limiter at most 5 per second; the fake sees them a few milliseconds later, by amounts that
# vary. It enforces (and the test counts) 5 per 0.9 s: the 0.1 s slack absorbs that jitter.
LIMIT, WINDOW_S, FAKE_WINDOW_S = 5, 1.0, 0.9


async def twelve_notes_at_once(fake: FakeGhl, make_ctx: MakeCtx, limiters: list[RateLimiter]) -> float:
    fake.reset(rate_max=LIMIT, rate_window_s=FAKE_WINDOW_S)
    cid = seed(fake)["id"]
    ctx = make_ctx()
    started = time.monotonic()
    results = await asyncio.gather(*(
        run(ghl(ghlAction="add_note", contactId=cid, body=f"note {i}"), ctx, limiter=limiters[i % len(limiters)])
        for i in range(12)
    ))
    elapsed_s = time.monotonic() - started
    assert len(results) == 12 and fake.limited == []
    arrivals = [s.at for s in fake.to("POST", f"/contacts/{cid}/notes")]
    assert len(arrivals) == 12
    assert most_in_any_window(arrivals, FAKE_WINDOW_S) <= LIMIT
    return elapsed_s


async def test_twelve_concurrent_calls_take_two_windows_and_never_exceed_the_limit(
    fake: FakeGhl, make_ctx: MakeCtx
) -> None:
    limiter = LocalRateLimiter(max_requests=LIMIT, window_s=WINDOW_S)

    elapsed_s = await twelve_notes_at_once(fake, make_ctx, [limiter])

    assert elapsed_s >= 2 * WINDOW_S - 0.05  # 5 now, 5 after one window, 2 after two


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of its own in Redis db 3, its keys deleted before and after the test."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        service_unavailable(f"Redis at {REDIS_URL} ({exc!r})")
    prefix = f"taskloom-test:{uuid.uuid4().hex}:"

    async def wipe() -> None:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)

    await wipe()
    yield prefix
    await wipe()
    await client.aclose()


async def test_two_processes_share_one_budget_through_redis(
    fake: FakeGhl, make_ctx: MakeCtx, redis_prefix: str
) -> None:
    # Given two limiters with their own connections, as two worker processes have
    limiters: list[RateLimiter] = [
        RedisRateLimiter(REDIS_URL, max_requests=LIMIT, window_s=WINDOW_S, key_prefix=redis_prefix) for _ in range(2)
    ]
    try:
        # When 12 calls are spread over both
        elapsed_s = await twelve_notes_at_once(fake, make_ctx, limiters)
    finally:
        for limiter in limiters:
            await limiter.aclose()

    # Then they wait for each other: together never more than 5 per window
    assert elapsed_s >= 2 * WINDOW_S - 0.05


async def test_two_processes_share_one_budget_through_the_database(
    fake: FakeGhl, make_ctx: MakeCtx, db: str
) -> None:
    # Given two database limiters (a RabbitMQ deployment's worker processes share only the database)
    limiters: list[RateLimiter] = [DatabaseRateLimiter(max_requests=LIMIT, window_s=WINDOW_S) for _ in range(2)]
    # When 12 calls are spread over both
    elapsed_s = await twelve_notes_at_once(fake, make_ctx, limiters)
    # Then they wait for each other: together never more than 5 per window
    assert elapsed_s >= 2 * WINDOW_S - 0.05


async def test_an_unreachable_redis_makes_the_attempt_retryable() -> None:
    limiter = RedisRateLimiter(f"redis://:pw@127.0.0.1:{free_port()}/0", max_requests=1, window_s=1)
    try:
        with pytest.raises(RetryableError, match=r"Redis at redis://\*\*\*@127\.0\.0\.1:\d+/0 cannot be reached"):
            await limiter.acquire("ghl:x", timeout_s=1)
    finally:
        await limiter.aclose()


async def test_waiting_for_a_slot_respects_the_deadline(fake: FakeGhl, make_ctx: MakeCtx) -> None:
    cid = seed(fake)["id"]
    limiter = LocalRateLimiter(max_requests=1, window_s=10)
    config = ghl(ghlAction="add_note", contactId=cid, body="x")
    await run(config, make_ctx(), limiter=limiter)

    started = time.monotonic()
    with pytest.raises(RetryableError, match="rate limit of 1 requests per 10 s") as raised:
        await run(config, make_ctx(deadline_s=0.5), limiter=limiter)

    assert time.monotonic() - started < 0.5  # it did not sleep 10 s into a dead attempt
    assert raised.value.retry_after_s is not None and 9 < raised.value.retry_after_s <= 10
    assert len(fake.seen) == 1


async def test_the_limiter_counts_per_location(fake: FakeGhl, make_ctx: MakeCtx) -> None:
    limiter = LocalRateLimiter(max_requests=1, window_s=10)
    ctx = make_ctx(deadline_s=1)

    await run(ghl(ghlAction="add_contact", email="a@b.co"), ctx, limiter=limiter)
    await run(ghl(ghlAction="add_contact", email="a@b.co", locationId=OTHER_LOCATION), ctx, limiter=limiter)

    assert len(fake.seen) == 2


def test_the_limiter_follows_the_broker() -> None:
    assert isinstance(build_rate_limiter(Settings(_env_file=None, broker_url=REDIS_URL), max_requests=1,  # type: ignore[call-arg]
                                         window_s=1), RedisRateLimiter)
    assert isinstance(build_rate_limiter(Settings(_env_file=None, broker_url="memory://"), max_requests=1,  # type: ignore[call-arg]
                                         window_s=1), LocalRateLimiter)
    amqp = Settings(_env_file=None, broker_url="amqp://guest:guest@127.0.0.1:5672/")  # type: ignore[call-arg]
    assert isinstance(build_rate_limiter(amqp, max_requests=1, window_s=1), DatabaseRateLimiter)


async def test_the_process_shares_one_ghl_client_and_limiter(make_ctx: MakeCtx) -> None:
    settings = make_ctx().settings

    first, second = shared_resources(settings), shared_resources(settings)

    assert first is second
    assert isinstance(first.limiter, LocalRateLimiter)
    assert (first.limiter.max_requests, first.limiter.window_s) == (100, 10.0)


# -- the token stays secret -----------------------------------------------------------------------------


async def test_the_token_never_appears_in_results_messages_or_logs(
    fake: FakeGhl, make_ctx: MakeCtx, plain_http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cid = seed(fake)["id"]
    fake.script("POST", f"/contacts/{cid}/tags", Answer(422, ghl_error(422, ["tags must be an array"])))
    fake.script("DELETE", f"/contacts/{cid}/tags", Answer(429, {"statusCode": 429}, {"X-RateLimit-Remaining": "0"}))
    texts: list[str] = []
    for config, overrides in [
        ({"ghlAction": "add_contact", "email": "n@example.com"}, {}),
        ({"ghlAction": "send_sms", "contactId": cid, "message": "hi"}, {}),
        ({"ghlAction": "add_tag", "contactId": cid, "tags": ["x"]}, {}),
        ({"ghlAction": "remove_tag", "contactId": cid, "tags": ["x"]}, {}),
        ({"ghlAction": "add_note", "contactId": cid, "body": "x"}, {"ghl_api_key": WRONG_TOKEN}),
    ]:
        ctx = make_ctx(**overrides)
        try:
            result = await run(ghl(**config), ctx)
            texts += [json.dumps(result.output), result.summary]
        except (PermanentError, RetryableError) as exc:
            texts.append(str(exc))
        texts += [line.message for line in ctx.lines]
    client = GhlClient(client=plain_http, base_url=fake.url, token=TOKEN, limiter=LocalRateLimiter(
        max_requests=1, window_s=1))
    texts += [repr(client), client.rate_key]

    assert len(fake.seen) == 5
    for secret in (TOKEN, WRONG_TOKEN):
        assert secret not in caplog.text
        assert not [text for text in texts if secret in text]
