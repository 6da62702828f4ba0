"""TASKLOOM_EVENT_LOOP: uvloop for auto and uvloop, the standard loop for asyncio; the standalone worker's
Dramatiq loop thread really runs on the chosen loop, and the global event-loop policy is left as it was."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvloop
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from domain.event_loop import EventLoopUnavailable, loop_factory, loop_policy, resolve_event_loop
from domain.settings import Settings
from workers.broker import ChosenLoopAsyncIO, build_broker

TASKLOOM = str(Path(sys.executable).with_name("taskloom"))


def made_by(name: str) -> type:
    loop = loop_factory(name)()
    try:
        return type(loop)
    finally:
        loop.close()


def test_auto_and_uvloop_make_uvloop_loops_and_asyncio_the_standard_one() -> None:
    assert made_by("auto") is uvloop.Loop
    assert made_by("uvloop") is uvloop.Loop
    standard = made_by("asyncio")
    assert not issubclass(standard, uvloop.Loop) and issubclass(standard, asyncio.BaseEventLoop)
    assert resolve_event_loop("auto") == "uvloop"  # the name `taskloom serve` hands to uvicorn


def test_the_setting_defaults_to_auto_and_refuses_other_names() -> None:
    assert Settings().event_loop == "auto"
    assert Settings(event_loop="asyncio").event_loop == "asyncio"
    with pytest.raises(ValueError):
        Settings(event_loop="tokio")


def test_without_uvloop_auto_falls_back_and_uvloop_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError, as on Windows
    assert resolve_event_loop("auto") == "asyncio"
    with pytest.raises(EventLoopUnavailable, match="uvloop is not installed"):
        loop_factory("uvloop")


@pytest.fixture
def policy_kept() -> Iterator[asyncio.AbstractEventLoopPolicy]:
    """The global policy before the test; the test must leave that very object in place."""
    before = asyncio.get_event_loop_policy()
    yield before
    assert asyncio.get_event_loop_policy() is before
    asyncio.set_event_loop_policy(before)


def boot(middleware: AsyncIO, broker: StubBroker) -> tuple[type, type]:
    """Boot the middleware as a dramatiq Worker would; the type of its loop, and of the loop a coroutine sent to
    it runs on. Shut down again before returning."""
    middleware.before_worker_boot(broker, object())
    try:
        thread = get_event_loop_thread()
        assert thread is not None

        async def running() -> type:
            return type(asyncio.get_running_loop())

        return type(thread.loop), thread.run_coroutine(running())
    finally:
        middleware.after_worker_shutdown(broker, object())
        assert get_event_loop_thread() is None


def test_the_standalone_brokers_loop_thread_runs_on_uvloop(policy_kept: asyncio.AbstractEventLoopPolicy) -> None:
    broker = build_broker(Settings(broker_url="memory://"))  # host_loop None: the `taskloom worker` stack
    try:
        [middleware] = [m for m in broker.middleware if isinstance(m, AsyncIO)]
        assert isinstance(middleware, ChosenLoopAsyncIO)
        assert boot(middleware, broker) == (uvloop.Loop, uvloop.Loop)
        assert asyncio.get_event_loop_policy() is policy_kept
    finally:
        broker.close()


def test_asyncio_gives_the_standard_loop_even_under_a_uvloop_policy() -> None:
    before = asyncio.get_event_loop_policy()
    uvloop_policy = loop_policy("uvloop")
    asyncio.set_event_loop_policy(uvloop_policy)
    try:
        loop_type, running_type = boot(ChosenLoopAsyncIO("asyncio"), StubBroker())
        assert loop_type is running_type
        assert not issubclass(loop_type, uvloop.Loop) and issubclass(loop_type, asyncio.BaseEventLoop)
        assert asyncio.get_event_loop_policy() is uvloop_policy
    finally:
        asyncio.set_event_loop_policy(before)


class FailingPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        raise OSError("no loop today")


def test_a_failed_boot_still_puts_the_policy_back(policy_kept: asyncio.AbstractEventLoopPolicy) -> None:
    middleware = ChosenLoopAsyncIO("uvloop")
    middleware.policy = FailingPolicy()
    with pytest.raises(OSError, match="no loop today"):
        middleware.before_worker_boot(StubBroker(), object())
    assert get_event_loop_thread() is None


def test_a_missing_uvloop_stops_the_scheduler_with_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "uvloop.py").write_text("raise ImportError('no uvloop here')\n")  # shadows the installed one
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    env.update(PYTHONPATH=str(tmp_path), TASKLOOM_EVENT_LOOP="uvloop", TASKLOOM_SCHEDULER_METRICS_PORT="0",
               TASKLOOM_BROKER_URL="redis://127.0.0.1:6379/9", TASKLOOM_DATABASE_URL=f"sqlite://{tmp_path / 'x.db'}")
    for command in ("scheduler", "worker"):
        result = subprocess.run([TASKLOOM, command], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(
            "taskloom: TASKLOOM_EVENT_LOOP=uvloop, but uvloop is not installed")
