"""The browser pool: one Playwright Chromium per worker process, a fresh context per task.

Chromium is Debian's (`TASKLOOM_CHROMIUM_PATH`), launched on first use with the flags of STACK_NOTES.md and
relaunched when it crashed or disconnected. Every request a page makes (navigations, redirects,
subresources, fetch/XHR) passes `EgressGuard`, a `context.route("**/*")` handler that asks the same
`EgressPolicy.check_url` the httpx client uses, and aborts what it refuses. Not routed by Playwright, so not
covered: WebSocket connections a page opens (a later `route_web_socket` could close that).

`map_browser_errors()` translates Playwright failures at the boundary (STYLE.md section 5): a navigation
that fails or times out is retryable, a step whose selector never appears is permanent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, BrowserContext, Playwright, Request, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from domain.egress import EgressPolicy, EgressRefused
from domain.errors import PermanentError, RetryableError
from domain.settings import Settings

__all__ = ["CHROMIUM_ARGS", "BrowserPool", "EgressGuard", "map_browser_errors", "read_values"]

logger = logging.getLogger(__name__)

#: Flags for the system Chromium: no background traffic, no sandbox (containers), no GPU.
CHROMIUM_ARGS = (
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
)

# Schemes that never leave the browser: not checked (the policy would refuse them as "not http(s)").
_LOCAL_SCHEMES = ("data:", "blob:", "about:")


@dataclass
class EgressGuard:
    """The route handler of a task's browser context: lets through what the egress policy allows.

    `refused` keeps `(url, reason)` of every aborted request, so a refused navigation is reported as
    EgressRefused (permanent) rather than as a network error.
    """

    policy: EgressPolicy
    refused: list[tuple[str, str]] = field(default_factory=list)

    async def handle(self, route: Route, request: Request) -> None:
        url = request.url
        if url.startswith(_LOCAL_SCHEMES):
            await route.continue_()
            return
        try:
            await self.policy.check_url(url)
        except EgressRefused as exc:
            self.refused.append((url, exc.message))
            logger.info("browser request refused: %s", exc.message)
            await route.abort("blockedbyclient")
            return
        except OSError as exc:  # the name does not resolve: as the browser itself would say
            self.refused.append((url, f"cannot resolve the host ({exc})"))
            await route.abort("namenotresolved")
            return
        await route.continue_()

    def refusal_for(self, url: str) -> str | None:
        """The reason the guard gave for `url` (or for any request, when `url` was not refused itself)."""
        for seen, reason in self.refused:
            if seen.rstrip("/") == url.rstrip("/"):
                return reason
        return None


class BrowserPool:
    """One Chromium per process, shared by the tasks of that process; each task gets its own context.

    Must be used on one event loop (Playwright's connection belongs to the loop that started it).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()
        self.launches = 0

    async def browser(self) -> Browser:
        """The running browser, launched (or relaunched after a crash) when needed."""
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._browser is not None:
                logger.warning("the browser disconnected (crashed?): launching a new one")
                with contextlib.suppress(Exception):
                    await self._browser.close()
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(self.settings.chromium_path), args=list(CHROMIUM_ARGS), headless=True,
            )
            self.launches += 1
            logger.info("launched Chromium %s", self._browser.version)
            return self._browser

    @contextlib.asynccontextmanager
    async def context(
        self, *, viewport: dict[str, int] | None = None
    ) -> AsyncIterator[tuple[BrowserContext, EgressGuard]]:
        """A fresh, egress-guarded browser context, closed when the block ends."""
        guard = EgressGuard(EgressPolicy.from_setting(self.settings.egress_allowlist))
        try:
            browser = await self.browser()
            context = await browser.new_context(viewport=viewport, service_workers="block")  # type: ignore[arg-type]
        except PlaywrightError as exc:
            raise RetryableError(f"the browser could not be started: {_first_line(exc)} "
                                 "(check TASKLOOM_CHROMIUM_PATH)") from exc
        try:
            await context.route("**/*", guard.handle)
            yield context, guard
        finally:
            with contextlib.suppress(Exception):
                await context.close()

    async def close(self) -> None:
        """Close the browser and stop Playwright."""
        async with self._lock:
            if self._browser is not None:
                with contextlib.suppress(Exception):
                    await self._browser.close()
                self._browser = None
            if self._playwright is not None:
                with contextlib.suppress(Exception):
                    await self._playwright.stop()
                self._playwright = None


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


@contextlib.contextmanager
def map_browser_errors(what: str, *, navigation: bool = False, guard: EgressGuard | None = None,
                       url: str | None = None, timeout_ms: int | None = None) -> Iterator[None]:
    """Re-raise Playwright failures of the block as our errors, prefixed with `what` (e.g. "step 2 (click)").

    With `navigation`, a timeout or network failure is retryable, unless the guard refused the URL
    (EgressRefused, permanent). Otherwise a timeout (a selector that never appeared) and any other
    Playwright error are permanent.
    """
    try:
        yield
    except (PlaywrightTimeout, PlaywrightError) as exc:
        timed_out = isinstance(exc, PlaywrightTimeout)
        if navigation:
            reason = guard.refusal_for(url) if guard is not None and url is not None else None
            if reason is not None:
                raise EgressRefused(f"{what}: {reason}") from exc
            detail = f"timed out after {timeout_ms} ms" if timed_out else f"failed: {_first_line(exc)}"
            raise RetryableError(f"{what}: the page did not load, {detail}") from exc
        if timed_out:
            raise PermanentError(f"{what}: timed out after {timeout_ms} ms waiting for the element "
                                 "(check the selector, or raise timeoutMs)") from exc
        raise PermanentError(f"{what}: {_first_line(exc)}") from exc


# Text (trimmed) or an attribute of every element, for `locator.evaluate_all`.
_READ_JS = "(els, attr) => els.map(e => attr ? e.getAttribute(attr) : ((e.innerText ?? e.textContent ?? '').trim()))"


async def read_values(page: Any, selector: str, *, attribute: str | None, all_: bool) -> Any:
    """The text/attribute of the first match (None when nothing matches) or, with `all_`, of every match."""
    values = await page.locator(selector).evaluate_all(_READ_JS, attribute)
    if all_:
        return values
    return values[0] if values else None
