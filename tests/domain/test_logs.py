"""Log formats and the run context: JSON lines carry the ids of the run they were logged in, concurrent runs
on one loop never mix them, and lines outside a run carry none."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Iterator

import pytest

from domain.enums import ExecutionType, TaskType
from domain.logs import JsonFormatter, RunContextFilter, TextFormatter, bind_run
from domain.models import Workspace
from domain.services.effects import Effects
from domain.services.runs import claim_task, finish_success
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks


@contextlib.contextmanager
def json_lines_of(name: str) -> Iterator[io.StringIO]:
    """A handler as configure_logging builds them (JSON, run-context filter) on logger `name`, at INFO."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RunContextFilter())
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    previous, logger.level = logger.level, logging.INFO
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.level = previous


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    with json_lines_of("taskloom.test") as out:
        yield out


def lines(out: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_each_concurrent_run_logs_its_own_ids(stream: io.StringIO) -> None:
    logger = logging.getLogger("taskloom.test")

    async def run(n: int) -> None:
        bind_run(f"task-{n}", f"exec-{n}", "API_CALL")
        for step in range(3):
            logger.info("run %d step %d", n, step)
            await asyncio.sleep(0)  # let the other runs interleave

    await asyncio.gather(*(asyncio.ensure_future(run(n)) for n in range(3)))
    logger.info("outside any run")
    entries = lines(stream)
    assert len(entries) == 10
    for entry in entries[:-1]:
        n = entry["message"].split()[1]
        assert (entry["task_id"], entry["execution_id"]) == (f"task-{n}", f"exec-{n}")
        assert entry["level"] == "INFO" and entry["logger"] == "taskloom.test" and entry["at"].endswith("+00:00")
    assert "task_id" not in entries[-1] and "execution_id" not in entries[-1]


async def test_an_exception_is_one_json_line(stream: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("taskloom.test").exception("it failed")
    (entry,) = lines(stream)
    assert entry["message"] == "it failed" and "ValueError: boom" in entry["exc"]


def test_the_text_format_appends_the_ids_inside_a_run() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.task_id, record.execution_id = "t1", "e1"
    assert TextFormatter("%(message)s").format(record) == "hello [task=t1 execution=e1]"
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert TextFormatter("%(message)s").format(plain) == "hello"


async def test_runs_that_end_in_one_batch_each_log_their_own_ids(db: str) -> None:
    # Given two claimed attempts on one loop, each in its own asyncio task with its run bound
    effects = Effects()
    workspace = await Workspace.create(name="logs")
    drafts = [TaskDraft(title=f"call {i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                        assigned_to_bot=True, execution_config={"apiEndpoint": "http://127.0.0.1:9/"})
              for i in range(2)]
    tasks = await create_tasks(str(workspace.id), drafts, actor="test", effects=effects, capabilities=Capabilities())
    ids: dict[str, str] = {}

    async def run(task_id: str) -> None:
        claim = await claim_task(task_id, worker_id="host:1", effects=effects)
        assert claim is not None
        ids[task_id] = str(claim.execution.id)
        bind_run(task_id, ids[task_id], "API_CALL")
        await finish_success(claim, {}, "done", effects=effects)

    # When both end at once (the group commit writes both ends in one batch, in the first one's context)
    with json_lines_of("domain.services.transitions") as out:
        await asyncio.gather(*(asyncio.ensure_future(run(str(t.id))) for t in tasks))
    # Then every line names the run it is about
    entries = lines(out)
    assert len(entries) == 4  # QUEUED -> IN_PROGRESS and IN_PROGRESS -> COMPLETED, for each task
    for entry in entries:
        task_id = entry["message"].split("'")[1]
        assert (entry["task_id"], entry["execution_id"]) == (task_id, ids[task_id])
