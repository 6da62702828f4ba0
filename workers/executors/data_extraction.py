"""DATA_EXTRACTION: open a page and read data from it, by CSS selectors or by an LLM with a JSON Schema.

LLM mode sends the page's text (whitespace collapsed, at most MAX_PAGE_TEXT_CHARS) to the operator's
OpenAI-compatible `/chat/completions` (TASKLOOM_LLM_BASE_URL, trusted: not egress-guarded) with a
`json_schema` response format, validates the answer with `jsonschema`, asks once more with the errors
when it does not match, then fails permanently. Result: `{data, url}`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema

from domain.configs.browser_automation import DEFAULT_STEP_TIMEOUT_MS
from domain.configs.data_extraction import DataExtractionConfig
from domain.errors import PermanentError
from workers.browser import BrowserPool, map_browser_errors, read_values
from workers.context import ExecutionContext, ExecutorResult, session_recorder
from workers.executors._errors import error_for_status, map_http_errors

__all__ = ["LLM_TIMEOUT_S", "MAX_PAGE_TEXT_CHARS", "ask_llm", "run"]

#: How much page text goes to the LLM, in characters (about 8k tokens).
MAX_PAGE_TEXT_CHARS = 30_000

#: How long one LLM call may take, in seconds (less when the task's deadline is nearer).
LLM_TIMEOUT_S = 60.0

_SYSTEM = ("You extract data from web page content. Return only what is present on the page; use null when a "
           "value is absent. Answer with JSON matching the given schema.")


async def run(config: DataExtractionConfig, ctx: ExecutionContext) -> ExecutorResult:
    pool: BrowserPool | None = ctx.browser
    if pool is None:
        raise PermanentError("no browser in this worker (TASKLOOM_CHROMIUM_PATH): cannot open the page")
    timeout_ms = min(DEFAULT_STEP_TIMEOUT_MS, max(1, int(ctx.remaining_s() * 1000)))
    async with pool.context(remote=config.remote_browser, on_session=session_recorder(ctx)) as (context, guard):
        page = await context.new_page()
        await guard.policy.check_url(config.url)
        with map_browser_errors("opening the page", navigation=True, guard=guard, url=config.url,
                                timeout_ms=timeout_ms):
            await page.goto(config.url, timeout=timeout_ms, wait_until="load")
        if config.wait_for is not None:
            with map_browser_errors(f"waiting for {config.wait_for!r}", timeout_ms=timeout_ms):
                await page.locator(config.wait_for).first.wait_for(state="attached", timeout=timeout_ms)
        ctx.log(f"page loaded: {await page.title()!r}")
        url = page.url
        if config.fields is not None:
            data: Any = {}
            with map_browser_errors("reading the fields"):
                for name, spec in config.fields.items():
                    data[name] = await read_values(page, spec.selector, attribute=spec.attribute, all_=spec.all)
            summary = f"{len(data)} fields read by selector"
        else:
            text = " ".join((await page.inner_text("body")).split())[:MAX_PAGE_TEXT_CHARS]
            data = await ask_llm(ctx, config.instruction or "", config.json_schema or {}, text)
            summary = "data extracted by the LLM"
    ctx.log(summary)
    return ExecutorResult({"data": data, "url": url}, summary)


async def ask_llm(ctx: ExecutionContext, instruction: str, schema: dict[str, Any], page_text: str) -> Any:
    """The LLM's answer to `instruction` about `page_text`, valid against `schema` (one corrective retry).

    Raises:
      PermanentError: when the answer is still invalid after the retry, or the model refuses.
      RetryableError: for network errors, timeouts, 429 and 5xx of the LLM endpoint.
    """
    settings = ctx.settings
    if not settings.llm_base_url:
        raise PermanentError("LLM mode needs TASKLOOM_LLM_BASE_URL (an OpenAI-compatible endpoint)")
    messages: list[dict[str, str]] = [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": f"Instruction: {instruction}\n\nPAGE:\n<<<\n{page_text}\n>>>"},
    ]
    validator = jsonschema.Draft202012Validator(schema)
    problem = ""
    for attempt in (1, 2):
        content = await _complete(ctx, messages, schema)
        answer, problem = _check(content, validator)
        if not problem:
            return answer
        ctx.log(f"LLM answer {attempt} did not match the schema: {problem}", level="WARNING")
        messages += [
            {"role": "assistant", "content": content or ""},
            {"role": "user", "content": f"Your answer did not match the JSON Schema: {problem}. "
                                        "Reply again with JSON only, exactly matching the schema."},
        ]
    raise PermanentError(f"the LLM's answer did not match the schema after a corrective retry: {problem} "
                         "(simplify the schema or make the instruction more precise)")


def _check(content: str | None, validator: jsonschema.Draft202012Validator) -> tuple[Any, str]:
    if content is None:
        return None, "the answer was empty"
    try:
        answer = json.loads(content)
    except json.JSONDecodeError as exc:
        return None, f"the answer is not JSON ({exc.msg} at character {exc.pos})"
    errors = sorted(validator.iter_errors(answer), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.absolute_path)) or "(root)"
        return None, f"at {where}: {first.message}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
    return answer, ""


async def _complete(ctx: ExecutionContext, messages: list[dict[str, str]], schema: dict[str, Any]) -> str | None:
    settings = ctx.settings
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    body = {
        "model": settings.llm_model, "temperature": 0, "messages": messages,
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "extraction", "schema": schema, "strict": True}},
    }
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    timeout_s = max(0.1, min(LLM_TIMEOUT_S, ctx.remaining_s()))
    # The LLM endpoint is the operator's (trusted): a plain client, not the egress-guarded shared one.
    async with httpx.AsyncClient(trust_env=False, timeout=timeout_s) as client:
        with map_http_errors(target="the LLM call (POST /chat/completions)", timeout_ms=int(timeout_s * 1000)):
            response = await client.post(url, json=body, headers=headers)
    if (error := error_for_status(response)) is not None:
        raise error
    try:
        choice = response.json()["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise PermanentError("the LLM endpoint answered without choices[0].message "
                             "(is TASKLOOM_LLM_BASE_URL OpenAI-compatible?)") from exc
    if message.get("refusal"):
        raise PermanentError(f"the LLM refused: {str(message['refusal'])[:300]}")
    if choice.get("finish_reason") == "length":
        return None
    return message.get("content")
