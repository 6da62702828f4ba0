"""The API_CALL executor against a real stub server on 127.0.0.1, through the production HTTP client.

Every request goes through `DirectClient` (egress guard + aiohttp session). Nothing is sent to any
address but 127.0.0.1: the redirect to 127.0.0.2 is refused by the guard before a connection is
opened, which `RecordingTransport` (an aiohttp trace hook between the guard and the network) proves.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import httpx
import pytest
from conftest import free_port, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from domain.configs.api_call import ApiCallConfig
from domain.egress import EgressPolicy, EgressRefused
from domain.errors import PermanentError, RetryableError
from domain.settings import Settings
from workers.context import ExecutionContext
from workers.direct_http import DirectClient
from workers.executors._errors import error_for_status, map_http_errors, parse_retry_after
from workers.executors.api_call import run
from workers.http import build_http_client, trusted_hop

TASK_ID = "7d0c1e9e-5f43-4c5e-9d59-3f1b0c8f6a11"
SECRETS = ("s3cr3t-bearer", "s3cr3t-query", "s3cr3t-header", "s3cr3t-cookie", "s3cr3t-resp", "s3cr3t-pass")


# -- the stub server ------------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Stub:
    url: str
    seen: list[Seen] = field(default_factory=list)

    @property
    def last(self) -> Seen:
        assert self.seen, "the stub saw no request"
        return self.seen[-1]


def stub_app(seen: list[Seen]) -> Starlette:
    async def record(request: Request) -> None:
        seen.append(
            Seen(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=await request.body(),
            )
        )

    async def echo(request: Request) -> Response:
        await record(request)
        return JSONResponse(
            {"method": request.method, "hello": "world"}, status_code=201 if request.method == "POST" else 200
        )

    async def status(request: Request) -> Response:
        await record(request)
        headers = {"Retry-After": request.query_params["retry_after"]} if "retry_after" in request.query_params else {}
        code = int(request.path_params["code"])
        return PlainTextResponse("" if code in (204, 304) else "nope " * 100, status_code=code, headers=headers)

    async def sleep(request: Request) -> Response:
        await record(request)
        await asyncio.sleep(float(request.query_params["s"]))
        return PlainTextResponse("late")

    async def big(request: Request) -> Response:
        await record(request)
        size = int(request.query_params["bytes"])
        if request.query_params.get("chunked"):

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(size // 1000):
                    yield b"x" * 1000

            return StreamingResponse(chunks(), media_type="application/octet-stream")
        return Response(b"x" * size, media_type="application/octet-stream")

    async def text(request: Request) -> Response:
        await record(request)
        return PlainTextResponse("just text")

    async def bad_json(request: Request) -> Response:
        await record(request)
        return Response(b"{not json", media_type="application/json")

    async def redirect(request: Request) -> Response:
        await record(request)
        return RedirectResponse(request.query_params["to"], status_code=302)

    async def endless_redirect(request: Request) -> Response:
        # A redirect whose body never ends: following it must not wait for (or keep) that body.
        await record(request)

        async def forever() -> AsyncIterator[bytes]:
            while True:
                yield b"x" * 65536
                await asyncio.sleep(0)

        return StreamingResponse(forever(), status_code=302, headers={"Location": request.query_params["to"]})

    async def secrets(request: Request) -> Response:
        await record(request)
        response = JSONResponse({"ok": True}, headers={"X-Auth-Token": "s3cr3t-resp", "X-Request-Id": "r-1"})
        response.set_cookie("session", "s3cr3t-cookie")
        return response

    return Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            Route("/status/{code:int}", status, methods=["GET", "POST"]),
            Route("/sleep", sleep),
            Route("/big", big),
            Route("/text", text),
            Route("/bad-json", bad_json),
            Route("/redirect", redirect),
            Route("/endless-redirect", endless_redirect),
            Route("/secrets", secrets, methods=["GET", "POST"]),
        ]
    )




async def serve_stub() -> AsyncIterator[Stub]:
    seen: list[Seen] = []
    port = free_port()
    async with serving(stub_app(seen), port):
        yield Stub(url=f"http://127.0.0.1:{port}", seen=seen)


@pytest.fixture(scope="session")
async def stub_server() -> AsyncIterator[Stub]:
    """The stub under uvicorn on 127.0.0.1, on the tests' event loop."""
    async for stub in serve_stub():
        yield stub


@pytest.fixture(scope="session")
async def other_origin_server() -> AsyncIterator[Stub]:
    """A second stub on another port of 127.0.0.1: another origin, inside the allow-list."""
    async for stub in serve_stub():
        yield stub


@pytest.fixture
def stub(stub_server: Stub) -> Iterator[Stub]:
    stub_server.seen.clear()
    yield stub_server


@pytest.fixture
def other_origin(other_origin_server: Stub) -> Iterator[Stub]:
    other_origin_server.seen.clear()
    yield other_origin_server


class RecordingTransport:
    """Sits between the egress guard and the network (an aiohttp trace hook) and notes every URL the guard
    let through."""

    def __init__(self) -> None:
        self.sent: list[httpx.URL] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._started)

    async def _started(
        self, session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        self.sent.append(httpx.URL(str(params.url)))


@dataclass
class Harness:
    ctx: ExecutionContext
    transport: RecordingTransport


MakeCtx = Callable[..., Harness]


@pytest.fixture
async def make_ctx() -> AsyncIterator[MakeCtx]:
    """Builds an ExecutionContext whose clients are the production ones, allow-list and settings as asked."""
    clients: list[httpx.AsyncClient | DirectClient] = []

    def make(*, allowlist: str = "127.0.0.1", deadline_s: float = 30.0, **settings: Any) -> Harness:
        config = Settings(_env_file=None, egress_allowlist=allowlist, **settings)  # type: ignore[call-arg]
        transport = RecordingTransport()
        client = build_http_client(config)
        direct = DirectClient(EgressPolicy.from_setting(allowlist), trace_configs=[transport.trace])
        clients.extend([client, direct])
        ctx = ExecutionContext(
            task_id=TASK_ID,
            execution_id="exec-1",
            workspace_id="ws-1",
            attempt=1,
            http=client,
            settings=config,
            deadline=asyncio.get_running_loop().time() + deadline_s,
            direct_http=direct,
        )
        return Harness(ctx, transport)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def ctx(make_ctx: MakeCtx) -> ExecutionContext:
    return make_ctx().ctx


def api_call(**config: Any) -> ApiCallConfig:
    """An ApiCallConfig from the camelCase keys API.md documents, validated as the API would."""
    return ApiCallConfig.model_validate(config)


# -- success --------------------------------------------------------------------------------------------


async def test_get_returns_status_headers_and_parsed_json_body(stub: Stub, ctx: ExecutionContext) -> None:
    result = await run(api_call(apiEndpoint=f"{stub.url}/echo"), ctx)

    assert result.output["status"] == 200
    assert result.output["body"] == {"method": "GET", "hello": "world"}
    assert result.output["headers"]["content-type"] == "application/json"
    assert result.output["url"] == f"{stub.url}/echo"
    assert isinstance(result.output["durationMs"], int)
    assert result.summary.startswith(f"GET {stub.url}/echo -> 200 in ")
    assert result.summary.endswith(" ms")
    assert stub.last.method == "GET" and "idempotency-key" not in stub.last.headers
    assert ctx.lines[0].message.startswith(f"GET {stub.url}/echo: sending")
    assert len(ctx.lines) == 2


async def test_post_sends_json_body_with_task_id_as_idempotency_key(stub: Stub, ctx: ExecutionContext) -> None:
    result = await run(api_call(apiEndpoint=f"{stub.url}/echo", apiMethod="POST", body={"a": [1, "é"]}), ctx)

    assert result.output["status"] == 201
    assert stub.last.method == "POST"
    assert stub.last.headers["idempotency-key"] == TASK_ID
    assert stub.last.headers["content-type"] == "application/json"
    assert json.loads(stub.last.body) == {"a": [1, "é"]}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_writes_carry_the_idempotency_key_too(stub: Stub, ctx: ExecutionContext, method: str) -> None:
    await run(api_call(apiEndpoint=f"{stub.url}/echo", apiMethod=method), ctx)

    assert stub.last.method == method
    assert stub.last.headers["idempotency-key"] == TASK_ID


async def test_an_idempotency_key_set_by_the_user_is_kept(stub: Stub, ctx: ExecutionContext) -> None:
    await run(api_call(apiEndpoint=f"{stub.url}/echo", apiMethod="POST", headers={"idempotency-key": "mine"}), ctx)

    assert stub.last.headers["idempotency-key"] == "mine"


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        pytest.param({"authType": "bearer", "bearerToken": "tok-1"}, "authorization", "Bearer tok-1", id="bearer"),
        pytest.param({"authType": "api_key", "apiKey": "key-1"}, "x-api-key", "key-1", id="api_key-default-header"),
        pytest.param(
            {"authType": "api_key", "apiKey": "key-2", "apiKeyHeader": "X-Custom-Auth"},
            "x-custom-auth",
            "key-2",
            id="api_key-custom-header",
        ),
        pytest.param(
            {"authType": "basic", "username": "ann", "password": "pa:ss"},
            "authorization",
            "Basic " + base64.b64encode(b"ann:pa:ss").decode(),
            id="basic",
        ),
        pytest.param({"authType": "none"}, "authorization", None, id="none"),
    ],
)
async def test_each_auth_type_reaches_the_server_exactly(
    stub: Stub, ctx: ExecutionContext, auth: dict[str, str], header: str, expected: str | None
) -> None:
    await run(api_call(apiEndpoint=f"{stub.url}/echo", **auth), ctx)

    assert stub.last.headers.get(header) == expected
    if auth["authType"] == "api_key":
        assert "authorization" not in stub.last.headers


async def test_query_params_are_merged_with_those_in_the_endpoint(stub: Stub, ctx: ExecutionContext) -> None:
    result = await run(api_call(apiEndpoint=f"{stub.url}/echo?x=0", query={"a": "1", "b": "two words"}), ctx)

    assert stub.last.query == {"x": "0", "a": "1", "b": "two words"}
    assert result.output["url"] == f"{stub.url}/echo"  # the query string stays out of the result


async def test_custom_headers_are_sent(stub: Stub, ctx: ExecutionContext) -> None:
    await run(api_call(apiEndpoint=f"{stub.url}/echo", headers={"X-Trace": "abc", "Accept": "application/json"}), ctx)

    assert stub.last.headers["x-trace"] == "abc"
    assert stub.last.headers["accept"] == "application/json"


@pytest.mark.parametrize(
    ("headers", "content_type"),
    [
        pytest.param({}, "text/plain; charset=utf-8", id="text-plain-by-default"),
        pytest.param({"Content-Type": "application/xml"}, "application/xml", id="given-content-type-kept"),
    ],
)
async def test_a_string_body_is_sent_as_text(
    stub: Stub, ctx: ExecutionContext, headers: dict[str, str], content_type: str
) -> None:
    await run(api_call(apiEndpoint=f"{stub.url}/echo", apiMethod="POST", body="<a>hi</a>", headers=headers), ctx)

    assert stub.last.body == b"<a>hi</a>"
    assert stub.last.headers["content-type"] == content_type


async def test_a_text_response_stays_text(stub: Stub, ctx: ExecutionContext) -> None:
    result = await run(api_call(apiEndpoint=f"{stub.url}/text"), ctx)

    assert result.output["body"] == "just text"


async def test_invalid_json_said_to_be_json_is_kept_as_text(stub: Stub, ctx: ExecutionContext) -> None:
    result = await run(api_call(apiEndpoint=f"{stub.url}/bad-json"), ctx)

    assert result.output["body"] == "{not json"


async def test_expect_status_makes_a_404_a_success(stub: Stub, ctx: ExecutionContext) -> None:
    result = await run(api_call(apiEndpoint=f"{stub.url}/status/404", expectStatus=[404]), ctx)

    assert result.output["status"] == 404


async def test_a_2xx_not_in_expect_status_fails_permanently(stub: Stub, ctx: ExecutionContext) -> None:
    with pytest.raises(PermanentError, match=r"HTTP 200 OK from .*expectStatus lists only 201"):
        await run(api_call(apiEndpoint=f"{stub.url}/echo", expectStatus=[201]), ctx)


async def test_a_5xx_not_in_expect_status_is_still_retryable(stub: Stub, ctx: ExecutionContext) -> None:
    with pytest.raises(RetryableError, match="HTTP 502"):
        await run(api_call(apiEndpoint=f"{stub.url}/status/502", expectStatus=[200]), ctx)


async def test_no_cookie_is_carried_from_one_request_to_the_next(stub: Stub, ctx: ExecutionContext) -> None:
    await run(api_call(apiEndpoint=f"{stub.url}/secrets"), ctx)
    await run(api_call(apiEndpoint=f"{stub.url}/echo"), ctx)

    assert "cookie" not in stub.last.headers


# -- failures -------------------------------------------------------------------------------------------


async def test_503_is_retryable_and_honours_retry_after(stub: Stub, ctx: ExecutionContext) -> None:
    with pytest.raises(RetryableError) as caught:
        await run(api_call(apiEndpoint=f"{stub.url}/status/503", query={"retry_after": "7"}), ctx)

    assert caught.value.retry_after_s == 7
    assert caught.value.message.startswith(f"HTTP 503 Service Unavailable from {stub.url}/status/503: nope nope")
    assert "retry_after" not in caught.value.message


@pytest.mark.parametrize("code", [408, 425, 429, 500, 504])
async def test_statuses_worth_retrying(stub: Stub, ctx: ExecutionContext, code: int) -> None:
    with pytest.raises(RetryableError, match=f"HTTP {code}"):
        await run(api_call(apiEndpoint=f"{stub.url}/status/{code}"), ctx)


async def test_404_fails_permanently_with_status_url_and_body_excerpt(stub: Stub, ctx: ExecutionContext) -> None:
    with pytest.raises(PermanentError) as caught:
        await run(api_call(apiEndpoint=f"{stub.url}/status/404?token=s3cr3t-query"), ctx)

    assert not isinstance(caught.value, RetryableError)
    message = caught.value.message
    assert message.startswith(f"HTTP 404 Not Found from {stub.url}/status/404: nope nope")
    assert len(message) < 400  # the body is quoted, 300 characters at most
    assert "s3cr3t" not in message


async def test_a_3xx_without_expect_status_fails_permanently(stub: Stub, ctx: ExecutionContext) -> None:
    with pytest.raises(PermanentError, match=r"HTTP 304 Not Modified .*only 2xx"):
        await run(api_call(apiEndpoint=f"{stub.url}/status/304"), ctx)


async def test_a_server_slower_than_timeout_ms_is_retryable(stub: Stub, ctx: ExecutionContext) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RetryableError, match=r"^GET http://127\.0\.0\.1:\d+/sleep timed out after 200 ms$"):
        await run(api_call(apiEndpoint=f"{stub.url}/sleep", query={"s": "1.5"}, timeoutMs=200), ctx)

    assert loop.time() - started < 1.0
    assert ctx.lines[-1].level == "WARNING"


async def test_the_task_deadline_caps_timeout_ms(stub: Stub, make_ctx: MakeCtx) -> None:
    ctx = make_ctx(deadline_s=0.3).ctx

    with pytest.raises(RetryableError, match=r"timed out after (2\d\d|300) ms"):
        await run(api_call(apiEndpoint=f"{stub.url}/sleep", query={"s": "1.5"}, timeoutMs=30_000), ctx)


@pytest.mark.parametrize("chunked", [pytest.param("", id="content-length"), pytest.param("1", id="chunked-stream")])
async def test_a_response_over_the_cap_fails_permanently(stub: Stub, make_ctx: MakeCtx, chunked: str) -> None:
    ctx = make_ctx(http_max_response_bytes=10_000).ctx

    with pytest.raises(PermanentError, match="response over 10000 bytes"):
        await run(api_call(apiEndpoint=f"{stub.url}/big", query={"bytes": "50000", "chunked": chunked}), ctx)


async def test_a_response_at_the_cap_is_kept(stub: Stub, make_ctx: MakeCtx) -> None:
    ctx = make_ctx(http_max_response_bytes=10_000).ctx

    result = await run(api_call(apiEndpoint=f"{stub.url}/big", query={"bytes": "10000", "chunked": "1"}), ctx)

    assert result.output["body"] == "x" * 10_000


async def test_a_refused_connection_is_retryable(ctx: ExecutionContext) -> None:
    port = free_port()  # nothing listens there

    with pytest.raises(RetryableError, match="could not connect") as caught:
        await run(api_call(apiEndpoint=f"http://127.0.0.1:{port}/x"), ctx)

    assert "timed out" not in caught.value.message


@contextlib.asynccontextmanager
async def answering(raw: bytes) -> AsyncIterator[str]:
    """A server on 127.0.0.1 that reads a request's head and answers `raw` bytes, whatever HTTP they break;
    yields its base URL."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(raw)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_response_that_is_not_http_is_retryable(ctx: ExecutionContext) -> None:
    async with answering(b"garbage\r\n\r\n") as base:
        with pytest.raises(RetryableError, match="broke the HTTP protocol"):
            await run(api_call(apiEndpoint=f"{base}/x?key=s3cr3t-query"), ctx)


async def test_a_body_that_cannot_be_decompressed_fails_permanently(ctx: ExecutionContext) -> None:
    bad_gzip = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n0123456789"
    async with answering(bad_gzip) as base:
        with pytest.raises(PermanentError, match="the response could not be decoded") as caught:
            await run(api_call(apiEndpoint=f"{base}/x"), ctx)

    assert not isinstance(caught.value, RetryableError)


# -- egress ---------------------------------------------------------------------------------------------


async def test_loopback_is_refused_without_the_allowlist(stub: Stub, make_ctx: MakeCtx) -> None:
    harness = make_ctx(allowlist="")

    with pytest.raises(EgressRefused, match=r"127\.0\.0\.1 is a loopback address"):
        await run(api_call(apiEndpoint=f"{stub.url}/echo"), harness.ctx)

    assert stub.seen == []
    assert harness.transport.sent == []


async def test_a_redirect_to_a_host_outside_the_allowlist_is_refused(stub: Stub, make_ctx: MakeCtx) -> None:
    # Given an allow-list of exactly 127.0.0.1, and a stub that redirects to 127.0.0.2 (no server there)
    harness = make_ctx(allowlist="127.0.0.1/32")
    elsewhere = f"http://127.0.0.2:{free_port()}/"

    # When the task calls the stub
    with pytest.raises(EgressRefused, match=r"127\.0\.0\.2 is a loopback address"):
        await run(api_call(apiEndpoint=f"{stub.url}/redirect", query={"to": elsewhere}), harness.ctx)

    # Then the first hop was sent, and the second never left the guard
    assert [seen.path for seen in stub.seen] == ["/redirect"]
    assert [url.host for url in harness.transport.sent] == ["127.0.0.1"]


async def test_a_redirect_is_followed_without_reading_its_body(stub: Stub, ctx: ExecutionContext) -> None:
    config = api_call(apiEndpoint=f"{stub.url}/endless-redirect", query={"to": f"{stub.url}/text"}, timeoutMs=5000)

    result = await asyncio.wait_for(run(config, ctx), 10)

    assert result.output["body"] == "just text"
    assert [seen.path for seen in stub.seen] == ["/endless-redirect", "/text"]


async def test_a_redirect_within_the_origin_keeps_the_credentials(stub: Stub, ctx: ExecutionContext) -> None:
    config = api_call(
        apiEndpoint=f"{stub.url}/redirect", query={"to": f"{stub.url}/text?x=1"}, authType="api_key", apiKey="k-1"
    )

    result = await run(config, ctx)

    assert result.output["body"] == "just text"
    assert result.output["url"] == f"{stub.url}/text"
    assert [(seen.path, seen.headers.get("x-api-key")) for seen in stub.seen] == [
        ("/redirect", "k-1"),
        ("/text", "k-1"),
    ]


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param({"authType": "api_key", "apiKey": "s3cr3t-header", "apiKeyHeader": "X-Custom-Auth"}, id="api_key"),
        pytest.param({"authType": "bearer", "bearerToken": "s3cr3t-bearer"}, id="bearer"),
        pytest.param({"authType": "basic", "username": "ann", "password": "s3cr3t-pass"}, id="basic"),
    ],
)
async def test_a_redirect_to_another_origin_drops_credential_headers(
    stub: Stub, other_origin: Stub, ctx: ExecutionContext, auth: dict[str, str]
) -> None:
    # Given a task whose target redirects to another origin (allowed by the egress guard)
    config = api_call(
        apiEndpoint=f"{stub.url}/redirect",
        query={"to": f"{other_origin.url}/echo"},
        headers={"X-Trace": "t-1", "X-Service-Token": "s3cr3t-header"},
        **auth,
    )

    # When it runs
    result = await run(config, ctx)

    # Then the first hop carried the credentials and the other origin saw none of them
    assert result.output["url"] == f"{other_origin.url}/echo"
    assert stub.last.headers["x-service-token"] == "s3cr3t-header"
    second = other_origin.last.headers
    assert second["x-trace"] == "t-1"
    for secret in SECRETS:
        assert secret not in json.dumps(second)
    assert "authorization" not in second and "x-custom-auth" not in second


# -- secrets --------------------------------------------------------------------------------------------


async def test_secrets_stay_out_of_the_result_logs_and_summary(
    stub: Stub, ctx: ExecutionContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = api_call(
        apiEndpoint=f"{stub.url}/secrets?access_token=s3cr3t-query",
        apiMethod="POST",
        authType="bearer",
        bearerToken="s3cr3t-bearer",
        headers={"X-Secret-Token": "s3cr3t-header"},
        query={"api_key": "s3cr3t-query"},
        body={"hello": "world"},
    )

    result = await run(config, ctx)

    assert stub.last.headers["authorization"] == "Bearer s3cr3t-bearer"  # sent, but kept from the rest
    assert result.output["headers"]["x-request-id"] == "r-1"
    assert "set-cookie" not in result.output["headers"]
    assert "x-auth-token" not in result.output["headers"]
    visible = json.dumps(result.output) + result.summary + caplog.text + json.dumps([ln.as_json() for ln in ctx.lines])
    assert "HTTP Request" in caplog.text  # httpx's own log line was captured, and redacted
    for secret in SECRETS:
        assert secret not in visible


async def test_secrets_stay_out_of_failure_messages_and_logs(
    stub: Stub, ctx: ExecutionContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = api_call(
        apiEndpoint=f"{stub.url}/status/401?token=s3cr3t-query",
        authType="basic",
        username="ann",
        password="s3cr3t-pass",
    )

    with pytest.raises(PermanentError) as caught:
        await run(config, ctx)

    for secret in SECRETS:
        assert secret not in caught.value.message + caplog.text


# -- the error helpers as units ---------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)

    assert parse_retry_after("7", now=now) == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(200, None, id="200"),
        pytest.param(302, None, id="302"),
        pytest.param(400, PermanentError, id="400"),
        pytest.param(404, PermanentError, id="404"),
        pytest.param(408, RetryableError, id="408"),
        pytest.param(425, RetryableError, id="425"),
        pytest.param(429, RetryableError, id="429"),
        pytest.param(500, RetryableError, id="500"),
        pytest.param(503, RetryableError, id="503"),
    ],
)
def test_error_for_status_table(status: int, expected: type[Exception] | None) -> None:
    request = httpx.Request("GET", "https://user:pw@api.example.com/v1/x?key=s3cr3t-query")
    response = httpx.Response(status, request=request, text="body " * 100, headers={"Retry-After": "3"})

    error = error_for_status(response)

    if expected is None:
        assert error is None
        return
    assert type(error) is expected
    assert error.message.startswith(f"HTTP {status} ")
    assert " from https://api.example.com/v1/x: body body" in error.message
    assert "s3cr3t" not in error.message and "pw" not in error.message
    if expected is RetryableError:
        assert isinstance(error, RetryableError) and error.retry_after_s == 3


@pytest.mark.parametrize(
    ("raised", "ours", "words"),
    [
        pytest.param(httpx.ReadTimeout("x"), RetryableError, "timed out after 250 ms", id="read-timeout"),
        pytest.param(TimeoutError(), RetryableError, "timed out after 250 ms", id="asyncio-timeout"),
        pytest.param(httpx.ConnectError("refused"), RetryableError, "could not connect (refused)", id="connect"),
        pytest.param(httpx.ReadError("reset"), RetryableError, "network error (reset)", id="read"),
        pytest.param(httpx.RemoteProtocolError("bad"), RetryableError, "broke the HTTP protocol", id="protocol"),
        pytest.param(httpx.TooManyRedirects("x"), PermanentError, "too many redirects", id="redirects"),
        pytest.param(httpx.UnsupportedProtocol("ftp"), PermanentError, "scheme is not supported", id="scheme"),
        pytest.param(
            httpx.ConnectError("to http://u:pw@h/p?token=s3cr3t-query failed"),
            RetryableError,
            "could not connect (to http://h/p failed)",
            id="urls-scrubbed",
        ),
    ],
)
def test_map_http_errors_table(raised: Exception, ours: type[Exception], words: str) -> None:
    with pytest.raises(ours) as caught, map_http_errors(target="GET https://h/p", timeout_ms=250):
        raise raised

    assert type(caught.value) is ours
    assert str(caught.value) == f"GET https://h/p {words}" or words in str(caught.value)
    assert caught.value.__cause__ is raised


def test_map_http_errors_lets_our_own_errors_through() -> None:
    refused = EgressRefused("egress refused: 10.0.0.1 is a private address")

    with pytest.raises(EgressRefused) as caught, map_http_errors(target="GET https://h/p"):
        raise refused

    assert caught.value is refused


@pytest.mark.parametrize(
    ("first", "hop", "trusted"),
    [
        pytest.param("https://a.test/x", "https://a.test:443/y", True, id="same-origin"),
        pytest.param("http://a.test/x", "https://a.test/y", True, id="https-upgrade"),
        pytest.param("https://a.test/x", "http://a.test/y", False, id="https-downgrade"),
        pytest.param("https://a.test/x", "https://a.test:8443/y", False, id="other-port"),
        pytest.param("https://a.test/x", "https://b.test/y", False, id="other-host"),
    ],
)
def test_which_redirect_hops_keep_credentials(first: str, hop: str, trusted: bool) -> None:
    assert trusted_hop(httpx.URL(first), httpx.URL(hop)) is trusted
