"""executionConfig of a BROWSER_AUTOMATION task: a list of steps a browser runs in order.

A step is `{action, ...}`; each action has its own keys. Every step may carry its own `timeoutMs`,
else the config's `timeoutMs` applies (DEFAULT_STEP_TIMEOUT_MS unless given).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, StrictInt, model_validator

from ._base import MAX_TIMEOUT_MS, ConfigModel, HttpUrlStr, NonBlankStr, TimeoutMs, rule_error

__all__ = [
    "DEFAULT_STEP_TIMEOUT_MS",
    "MAX_STEPS",
    "STEP_ACTIONS",
    "BrowserAutomationConfig",
    "BrowserStep",
    "ClickStep",
    "ExtractStep",
    "NavigateStep",
    "PressStep",
    "ScreenshotStep",
    "SelectStep",
    "TypeStep",
    "Viewport",
    "WaitStep",
]

#: How long one step may take, in milliseconds, unless the step or the config says otherwise.
DEFAULT_STEP_TIMEOUT_MS = 15_000

#: The most steps one task may have.
MAX_STEPS = 200

#: The largest viewport edge, in pixels.
_MAX_VIEWPORT_PX = 10_000


class _Step(ConfigModel):
    timeout_ms: TimeoutMs | None = None


class NavigateStep(_Step):
    """Open `url`."""

    action: Literal["navigate"]
    url: HttpUrlStr


class ClickStep(_Step):
    """Click the first element matching `selector`."""

    action: Literal["click"]
    selector: NonBlankStr


class TypeStep(_Step):
    """Type `text` into the element matching `selector`."""

    action: Literal["type"]
    selector: NonBlankStr
    text: str


class ExtractStep(_Step):
    """Read the text (or `attribute`) of the element (or, with `all`, every element) matching `selector`."""

    action: Literal["extract"]
    selector: NonBlankStr
    name: NonBlankStr
    attribute: NonBlankStr | None = None
    all: StrictBool = False


class WaitStep(_Step):
    """Wait until `selector` appears, or for `ms` milliseconds."""

    action: Literal["wait"]
    selector: NonBlankStr | None = None
    ms: Annotated[StrictInt, Field(ge=0, le=MAX_TIMEOUT_MS)] | None = None

    @model_validator(mode="after")
    def _selector_or_ms(self) -> Self:
        if (self.selector is None) == (self.ms is None):
            raise rule_error("selector", "a wait step needs exactly one of 'selector' (wait for it) or 'ms'")
        return self


class ScreenshotStep(_Step):
    """Take a screenshot, of the whole page with `fullPage`."""

    action: Literal["screenshot"]
    name: NonBlankStr | None = None
    full_page: StrictBool = False


class SelectStep(_Step):
    """Choose `value` in the <select> matching `selector`."""

    action: Literal["select"]
    selector: NonBlankStr
    value: str


class PressStep(_Step):
    """Press a keyboard `key`, e.g. "Enter" or "Control+A"."""

    action: Literal["press"]
    key: NonBlankStr


BrowserStep = Annotated[
    NavigateStep | ClickStep | TypeStep | ExtractStep | WaitStep | ScreenshotStep | SelectStep | PressStep,
    Field(discriminator="action"),
]

#: Every step action, in the order API.md lists them.
STEP_ACTIONS = ("navigate", "click", "type", "extract", "wait", "screenshot", "select", "press")


class Viewport(ConfigModel):
    """The browser window's size in pixels."""

    width: Annotated[StrictInt, Field(gt=0, le=_MAX_VIEWPORT_PX)]
    height: Annotated[StrictInt, Field(gt=0, le=_MAX_VIEWPORT_PX)]


class BrowserAutomationConfig(ConfigModel):
    """Steps for a browser; the result is `{steps, extracted, screenshots, finalUrl, title}`."""

    steps: Annotated[list[BrowserStep], Field(min_length=1, max_length=MAX_STEPS)]
    start_url: HttpUrlStr | None = None
    viewport: Viewport | None = None
    remote_browser: StrictBool = False
    timeout_ms: TimeoutMs = DEFAULT_STEP_TIMEOUT_MS
