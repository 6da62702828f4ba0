"""BROWSER_AUTOMATION: run the config's steps in a fresh, egress-guarded browser context.

Each step is reported through `ctx.log(step=index)` and kept as `{index, action, status, durationMs,
detail}` (ctx.steps, recorded on the execution). A failing step takes a screenshot of the page, then fails
the attempt naming the step: a selector that never appears is permanent, a page that does not load is
retryable. Result: `{steps, extracted, screenshots, finalUrl, title}`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from playwright.async_api import Page

from domain.configs.browser_automation import (
    BrowserAutomationConfig,
    BrowserStep,
    ClickStep,
    ExtractStep,
    NavigateStep,
    PressStep,
    ScreenshotStep,
    SelectStep,
    TypeStep,
    WaitStep,
)
from domain.errors import ExecutorError, PermanentError
from workers.artifacts import save_artifact
from workers.browser import BrowserPool, EgressGuard, map_browser_errors, read_values
from workers.context import ExecutionContext, ExecutorResult, session_recorder

__all__ = ["run"]


class _Run:
    """One attempt's page, guard and what the steps produced so far."""

    def __init__(self, page: Page, guard: EgressGuard, ctx: ExecutionContext) -> None:
        self.page, self.guard, self.ctx = page, guard, ctx
        self.extracted: dict[str, Any] = {}
        self.screenshots: list[dict[str, Any]] = []

    async def navigate(self, url: str, what: str, timeout_ms: int) -> str:
        await self.guard.policy.check_url(url)  # refused: EgressRefused, before the browser sends anything
        with map_browser_errors(what, navigation=True, guard=self.guard, url=url, timeout_ms=timeout_ms):
            response = await self.page.goto(url, timeout=timeout_ms, wait_until="load")
        status = response.status if response is not None else None
        return f"{url} -> HTTP {status}" if status is not None else url

    async def screenshot(self, name: str, *, full_page: bool = False) -> dict[str, Any]:
        data = await self.page.screenshot(full_page=full_page, type="png")
        shot = await save_artifact(self.ctx, name, data)
        self.screenshots.append(shot)
        return shot

    async def step(self, index: int, step: BrowserStep, timeout_ms: int) -> str:
        what, page = f"step {index} ({step.action})", self.page
        if isinstance(step, NavigateStep):
            return await self.navigate(step.url, what, timeout_ms)
        with map_browser_errors(what, timeout_ms=timeout_ms):
            match step:
                case ClickStep():
                    await page.locator(step.selector).first.click(timeout=timeout_ms)
                    return step.selector
                case TypeStep():
                    await page.locator(step.selector).first.fill(step.text, timeout=timeout_ms)
                    return step.selector
                case SelectStep():
                    await page.locator(step.selector).first.select_option(step.value, timeout=timeout_ms)
                    return f"{step.selector} = {step.value!r}"
                case PressStep():
                    await page.keyboard.press(step.key)
                    return step.key
                case WaitStep() if step.selector is not None:
                    await page.locator(step.selector).first.wait_for(state="visible", timeout=timeout_ms)
                    return step.selector
                case WaitStep():
                    await asyncio.sleep((step.ms or 0) / 1000)
                    return f"{step.ms} ms"
                case ExtractStep():
                    if not step.all:
                        await page.locator(step.selector).first.wait_for(state="attached", timeout=timeout_ms)
                    value = await read_values(page, step.selector, attribute=step.attribute, all_=step.all)
                    self.extracted[step.name] = value
                    return f"{step.name} <- {step.selector}" + (f" ({len(value)} values)" if step.all else "")
                case ScreenshotStep():
                    shot = await self.screenshot(step.name or f"step-{index}", full_page=step.full_page)
                    return shot["url"]
        raise PermanentError(f"{what}: unknown action")  # unreachable: the config model is a closed union


async def run(config: BrowserAutomationConfig, ctx: ExecutionContext) -> ExecutorResult:
    """Run the steps in order; the first failing step fails the attempt (with a screenshot of the page)."""
    pool: BrowserPool | None = ctx.browser
    if pool is None:
        raise PermanentError("no browser in this worker (TASKLOOM_CHROMIUM_PATH): cannot run browser steps")
    records: list[dict[str, Any]] = []
    ctx.steps = records
    viewport = config.viewport.model_dump() if config.viewport is not None else None
    async with pool.context(viewport=viewport, remote=config.remote_browser,
                            on_session=session_recorder(ctx)) as (context, guard):
        page = await context.new_page()
        state = _Run(page, guard, ctx)
        if config.start_url is not None:
            await state.navigate(config.start_url, "startUrl", config.timeout_ms)
        for index, step in enumerate(config.steps):
            if ctx.cancelled():
                raise PermanentError(f"cancelled before step {index}")
            timeout_ms = min(step.timeout_ms or config.timeout_ms, max(1, int(ctx.remaining_s() * 1000)))
            started = time.monotonic()
            record: dict[str, Any] = {"index": index, "action": step.action, "status": "RUNNING",
                                      "durationMs": None, "detail": None}
            records.append(record)
            try:
                detail = await state.step(index, step, timeout_ms)
            except ExecutorError as exc:
                record.update(status="FAILED", durationMs=_ms(started), detail=exc.message)
                ctx.log(f"step {index} {step.action} failed: {exc.message}", level="ERROR", step=index)
                await _failure_screenshot(state, index, record)
                raise
            record.update(status="SUCCESS", durationMs=_ms(started), detail=detail)
            ctx.log(f"step {index} {step.action}: {detail} ({record['durationMs']} ms)", step=index)
        output = {"steps": records, "extracted": state.extracted, "screenshots": state.screenshots,
                  "finalUrl": page.url, "title": await page.title()}
    summary = (f"{len(records)} steps done, {len(state.extracted)} values extracted, "
               f"{len(state.screenshots)} screenshots")
    return ExecutorResult(output, summary, steps=records)


async def _failure_screenshot(state: _Run, index: int, record: dict[str, Any]) -> None:
    try:
        shot = await state.screenshot(f"failure-step-{index}")
    except Exception as exc:  # the page may be gone; the step's own error is what matters
        state.ctx.log(f"no screenshot of the failure: {type(exc).__name__}", level="WARNING", step=index)
        return
    record["screenshot"] = shot["url"]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
