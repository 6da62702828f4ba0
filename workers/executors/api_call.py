"""The API_CALL executor: one HTTP request through the egress-guarded `DirectClient` (API.md, API_CALL row).

`TASKLOOM_HTTP_MAX_RESPONSE_BYTES` caps the response body; `TASKLOOM_EGRESS_ALLOWLIST` decides which
non-public targets the client may reach. Query strings, header values and credentials never appear in
logs, messages or the result: any of them may be a secret.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import time
from typing import Any

import httpx

from domain.configs._secrets import is_secret_path
from domain.configs.api_call import ApiCallConfig
from domain.errors import ExecutorError, PermanentError
from workers.context import ExecutionContext, ExecutorResult
from workers.direct_http import DirectResponse
from workers.executors._errors import error_for_status, map_http_errors
from workers.http import safe_url

__all__ = ["run"]

#: The header that lets a receiver de-duplicate retried requests; its value is the task id.
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _headers(config: ApiCallConfig, task_id: str) -> httpx.Headers:
    headers = httpx.Headers(config.headers)
    # authType is the more specific option: it wins over an Authorization written into `headers`.
    if config.auth_type == "bearer":
        headers["Authorization"] = f"Bearer {config.bearer_token}"
    elif config.auth_type == "api_key":
        headers[config.api_key_header] = str(config.api_key)
    elif config.auth_type == "basic":
        pair = f"{config.username}:{config.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    if config.api_method != "GET" and IDEMPOTENCY_HEADER not in headers:
        headers[IDEMPOTENCY_HEADER] = task_id
    return headers


def _credential_headers(config: ApiCallConfig) -> tuple[str, ...]:
    """The headers authType fills in; the client drops them when a redirect leaves the origin."""
    return {"none": (), "bearer": ("Authorization",), "basic": ("Authorization",)}.get(
        config.auth_type, (config.api_key_header,)
    )


@functools.lru_cache(maxsize=256)
def _url(endpoint: str, query: tuple[tuple[str, str], ...]) -> httpx.URL:
    # httpx's `params=` would replace a query string written into apiEndpoint; both count. Cached (a URL
    # is immutable): parsing twice costs a worker more than the rest of building the request.
    return httpx.URL(endpoint).copy_merge_params(dict(query))


def _content(config: ApiCallConfig, headers: httpx.Headers) -> bytes | None:
    if config.body is None:
        return None
    if isinstance(config.body, str):
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return config.body.encode()
    headers.setdefault("Content-Type", "application/json")
    return json.dumps(config.body, ensure_ascii=False, separators=(",", ":")).encode()


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.endswith(("/json", "+json"))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python reads them, JSON columns do not


def _body(response: DirectResponse, text: str) -> Any:
    if _is_json(response.headers.get("Content-Type", "")):
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            pass  # a body that says JSON but is not: keep it as text
    return text


def _result_headers(response: DirectResponse) -> dict[str, str]:
    # Same rules as masking executionConfig headers: Set-Cookie, anything named like a token or key.
    return {
        name: value
        for name, value in response.headers.items()
        if not (name.startswith("set-cookie") or is_secret_path(("headers", name)))
    }


def _status_error(config: ApiCallConfig, response: DirectResponse, text: str) -> ExecutorError | None:
    status = response.status_code
    if config.expect_status is not None:
        if status in config.expect_status:
            return None
        accepted = f"expectStatus lists only {', '.join(map(str, config.expect_status))}"
    elif 200 <= status < 300:
        return None
    else:
        accepted = "only 2xx counts as success unless listed in expectStatus"
    error = error_for_status(response, body=text)
    if error is not None:
        return error
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(status)
    return PermanentError(f"HTTP {status} {reason} from {safe_url(response.url)}: {accepted}")


async def run(config: ApiCallConfig, ctx: ExecutionContext) -> ExecutorResult:
    """Send the configured request and return `{status, headers, body, url, durationMs}`.

    Success is a 2xx status, or any status in `expectStatus` when that is given. Non-GET requests carry
    `Idempotency-Key: <task id>` unless the config sets one. The timeout is `timeoutMs` or what is left
    of the task's own timeout, whichever is shorter, for the whole exchange.

    Parameters:
      config: the task's validated executionConfig.
      ctx: the attempt's context: the direct client, settings (response cap) and deadline.

    Returns:
      The result; its `url` is the final one after redirects, and it and the summary leave out the query
      string. Response headers that may carry secrets (Set-Cookie, tokens, keys) are dropped.

    Raises:
      RetryableError: on a timeout, a network error, or HTTP 408/425/429/5xx (`retry_after_s` from
        Retry-After).
      PermanentError: on another failing status, a response over the size cap, or a refused target
        (`EgressRefused`).
    """
    cap = ctx.settings.http_max_response_bytes
    timeout_s = min(config.timeout_ms / 1000, ctx.remaining_s())
    timeout_ms = round(timeout_s * 1000)
    try:
        target = f"{config.api_method} {safe_url(config.api_endpoint)}"
    except httpx.InvalidURL as exc:
        raise PermanentError(f"{config.api_method} failed: apiEndpoint is not a valid URL ({exc})") from exc
    started = time.perf_counter()
    with map_http_errors(target=target, timeout_ms=timeout_ms):
        headers = _headers(config, ctx.task_id)
        url = _url(config.api_endpoint, tuple(config.query.items()))
        content = _content(config, headers)
        ctx.log(f"{target}: sending (auth {config.auth_type}, timeout {timeout_ms} ms)")
        try:
            async with asyncio.timeout(timeout_s):
                response = await ctx.direct_http.send(
                    config.api_method,
                    url,
                    headers=headers,
                    content=content,
                    timeout_s=timeout_s,
                    max_bytes=cap,
                    credential_headers=_credential_headers(config),
                )
        except Exception as exc:
            elapsed_ms = round((time.perf_counter() - started) * 1000)
            ctx.log(f"{target}: failed after {elapsed_ms} ms ({type(exc).__name__})", level="WARNING")
            raise
    duration_ms = round((time.perf_counter() - started) * 1000)
    summary = f"{target} -> {response.status_code} in {duration_ms} ms"
    ctx.log(f"{summary} ({len(response.content)} bytes{'' if response.complete else ', truncated'})")

    text = response.text
    error = _status_error(config, response, text)
    if error is not None:
        raise error
    if not response.complete:
        raise PermanentError(
            f"{target}: response over {cap} bytes; raise TASKLOOM_HTTP_MAX_RESPONSE_BYTES or ask for less"
        )
    output = {
        "status": response.status_code,
        "headers": _result_headers(response),
        "body": _body(response, text),
        "url": safe_url(response.url),
        "durationMs": duration_ms,
    }
    return ExecutorResult(output=output, summary=summary)
