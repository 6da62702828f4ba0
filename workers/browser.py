"""The browser pool: one Playwright Chromium per worker process, a fresh context per task.

Chromium is Debian's (`TASKLOOM_CHROMIUM_PATH`), launched on first use with the flags of STACK_NOTES.md and
relaunched when it crashed or disconnected. Every request a page makes (navigations, redirects,
subresources, fetch/XHR) passes `EgressGuard`, a `context.route("**/*")` handler that asks the same
`EgressPolicy.check_url` the httpx client uses, and aborts what it refuses. Not routed by Playwright, so not
covered: WebSocket connections a page opens (a later `route_web_socket` could close that).

Remote mode (a task's `remoteBrowser: true`): the task's context comes from a browser reached over CDP
instead of the local Chromium. With `TASKLOOM_BROWSERBASE_API_KEY` set, a Browserbase session is created for
the task (`POST {base}/v1/sessions`, header `X-BB-API-Key`), its `connectUrl` connected with
`connect_over_cdp`, its id and live-view URL (`GET /v1/sessions/{id}/debug` -> `debuggerFullscreenUrl`)
reported through `on_session` (recorded on the execution), and the session released at the end (`POST
/v1/sessions/{id}` with `{"status": "REQUEST_RELEASE"}`). Otherwise `TASKLOOM_BROWSER_CDP_URL` is connected
and a fresh context made in it. The operator's URLs are trusted (no egress check on the Browserbase API
or the CDP endpoint); the page's own requests still pass the EgressGuard route.

`map_browser_errors()` translates Playwright failures at the boundary (STYLE.md section 5): a navigation
that fails or times out is retryable, a step whose selector never appears is permanent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Playwright, Request, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from domain.egress import EgressPolicy, EgressRefused
from domain.errors import PermanentError, RetryableError
from domain.settings import Settings

__all__ = ["CHROMIUM_ARGS", "BrowserPool", "EgressGuard", "OnSession", "map_browser_errors", "read_values"]

#: Called with `(session_id, debug_url)` once a remote (Browserbase) session exists.
OnSession = Callable[[str, str | None], Awaitable[None]]

#: How long a Browserbase API call or a CDP connection may take, in seconds.
REMOTE_TIMEOUT_S = 30.0

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

    async def _started(self) -> Playwright:
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        return self._playwright

    async def browser(self) -> Browser:
        """The running browser, launched (or relaunched after a crash) when needed."""
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._browser is not None:
                logger.warning("the browser disconnected (crashed?): launching a new one")
                with contextlib.suppress(Exception):
                    await self._browser.close()
            playwright = await self._started()
            self._browser = await playwright.chromium.launch(
                executable_path=str(self.settings.chromium_path), args=list(CHROMIUM_ARGS), headless=True,
            )
            self.launches += 1
            logger.info("launched Chromium %s", self._browser.version)
            return self._browser

    @contextlib.asynccontextmanager
    async def context(
        self, *, viewport: dict[str, int] | None = None, remote: bool = False, on_session: OnSession | None = None
    ) -> AsyncIterator[tuple[BrowserContext, EgressGuard]]:
        """A fresh, egress-guarded browser context, closed when the block ends (`remote`: see the module doc)."""
        if remote:
            async with self._remote_context(viewport, on_session) as pair:
                yield pair
            return
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

    @contextlib.asynccontextmanager
    async def _remote_context(
        self, viewport: dict[str, int] | None, on_session: OnSession | None
    ) -> AsyncIterator[tuple[BrowserContext, EgressGuard]]:
        settings = self.settings
        if not settings.browserbase_api_key and not settings.browser_cdp_url:
            raise PermanentError("remoteBrowser needs TASKLOOM_BROWSERBASE_API_KEY or TASKLOOM_BROWSER_CDP_URL")
        guard = EgressGuard(EgressPolicy.from_setting(settings.egress_allowlist))
        async with contextlib.AsyncExitStack() as stack:
            if settings.browserbase_api_key:
                session = await stack.enter_async_context(_browserbase_session(settings, viewport, on_session))
                endpoint, what = session, "the Browserbase session"
            else:
                endpoint, what = settings.browser_cdp_url, "the remote browser (TASKLOOM_BROWSER_CDP_URL)"
            playwright = await self._started()
            try:
                browser = await playwright.chromium.connect_over_cdp(endpoint, timeout=REMOTE_TIMEOUT_S * 1000)
            except PlaywrightError as exc:
                raise RetryableError(f"could not connect to {what}: {_first_line(exc)}") from exc
            stack.push_async_callback(_quietly, browser.close)  # disconnects; the remote browser lives on
            if settings.browserbase_api_key and browser.contexts:
                context = browser.contexts[0]  # the session's own browser: its default context
            else:
                context = await browser.new_context(viewport=viewport,  # type: ignore[arg-type]
                                                    service_workers="block")
                stack.push_async_callback(_quietly, context.close)
            await context.route("**/*", guard.handle)
            yield context, guard

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


async def _quietly(close: Callable[[], Awaitable[Any]]) -> None:
    with contextlib.suppress(Exception):
        await close()


@contextlib.asynccontextmanager
async def _browserbase_session(settings: Settings, viewport: dict[str, int] | None,
                               on_session: OnSession | None) -> AsyncIterator[str]:
    """A Browserbase session for one task: yields its connectUrl; released when the block ends."""
    base = settings.browserbase_base_url.rstrip("/")
    headers = {"X-BB-API-Key": settings.browserbase_api_key}
    body: dict[str, Any] = {"browserSettings": {"viewport": viewport}} if viewport else {}
    # The operator's API (trusted): a plain client, not the egress-guarded shared one.
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=REMOTE_TIMEOUT_S, trust_env=False) as api:
        created = await _bb_call(api, "POST", "/v1/sessions", json=body)
        session_id, connect_url = created.get("id"), created.get("connectUrl")
        if not isinstance(session_id, str) or not isinstance(connect_url, str):
            raise PermanentError("Browserbase answered POST /v1/sessions without id and connectUrl")
        try:
            debug_url: str | None = None
            with contextlib.suppress(RetryableError, PermanentError):
                debug = await _bb_call(api, "GET", f"/v1/sessions/{session_id}/debug")
                debug_url = debug.get("debuggerFullscreenUrl") or debug.get("debuggerUrl")
            logger.info("Browserbase session %s created", session_id)
            if on_session is not None:
                await on_session(session_id, debug_url)
            yield connect_url
        finally:
            try:
                await _bb_call(api, "POST", f"/v1/sessions/{session_id}", json={"status": "REQUEST_RELEASE"})
            except Exception as exc:  # the session times out by itself; the task's outcome is what matters
                logger.warning("could not release Browserbase session %s: %s", session_id, exc)


async def _bb_call(api: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One Browserbase API call; 401/403/404/400/422 are permanent, the rest (429, 5xx, network) retryable."""
    try:
        response = await api.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise RetryableError(f"Browserbase {method} {path} failed: {type(exc).__name__}") from exc
    if response.status_code in (400, 401, 403, 404, 422):
        raise PermanentError(f"Browserbase {method} {path} answered HTTP {response.status_code} "
                             "(check TASKLOOM_BROWSERBASE_API_KEY)")
    if not response.is_success:
        raise RetryableError(f"Browserbase {method} {path} answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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
