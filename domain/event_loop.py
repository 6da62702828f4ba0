"""Which asyncio event loop Taskloom's processes run on (`TASKLOOM_EVENT_LOOP`).

uvloop (libuv under asyncio's API) costs less CPU per callback than the standard loop: the bench measured about 5%
less worker CPU per task. `auto` picks it when it imports (Linux and macOS), else the standard loop.

- `taskloom serve` passes the resolved name to uvicorn's own `loop=` option;
- `taskloom worker`: Dramatiq's event-loop thread is made under `loop_policy(...)` (`workers.broker`);
- `taskloom scheduler`: `asyncio.Runner(loop_factory=loop_factory(...))`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

__all__ = ["EventLoopName", "EventLoopUnavailable", "loop_factory", "loop_policy", "resolve_event_loop"]

EventLoopName = Literal["auto", "asyncio", "uvloop"]


class EventLoopUnavailable(RuntimeError):
    """The event loop the settings ask for cannot be used here."""


def _uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def resolve_event_loop(name: str) -> Literal["asyncio", "uvloop"]:
    """`auto` resolved: uvloop when it imports, else asyncio. `uvloop` without uvloop installed raises
    EventLoopUnavailable."""
    if name == "asyncio":
        return "asyncio"
    if name not in ("auto", "uvloop"):
        raise ValueError(f"unknown event loop {name!r}: auto, asyncio or uvloop")
    if _uvloop_factory() is not None:
        return "uvloop"
    if name == "uvloop":
        raise EventLoopUnavailable("TASKLOOM_EVENT_LOOP=uvloop, but uvloop is not installed (it has no Windows "
                                   "build); install it, or set TASKLOOM_EVENT_LOOP=auto or asyncio")
    return "asyncio"


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """A callable that makes a new event loop of the kind `name` (auto, asyncio or uvloop) resolves to."""
    if resolve_event_loop(name) == "uvloop":
        factory = _uvloop_factory()
        assert factory is not None  # resolve_event_loop just imported it
        return factory
    return asyncio.DefaultEventLoopPolicy().new_event_loop  # the standard loop, whatever policy is installed


class _FactoryPolicy(asyncio.DefaultEventLoopPolicy):
    """The default policy, except that its new loops come from `factory` (not uvloop's deprecated policy)."""

    def __init__(self, factory: Callable[[], asyncio.AbstractEventLoop]) -> None:
        super().__init__()
        self._factory = factory

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return self._factory()


def loop_policy(name: str) -> asyncio.AbstractEventLoopPolicy:
    """An event-loop policy whose `new_event_loop` makes loops of the kind `name` resolves to, for code that calls
    `asyncio.new_event_loop()` itself (Dramatiq's EventLoopThread)."""
    return _FactoryPolicy(loop_factory(name))
