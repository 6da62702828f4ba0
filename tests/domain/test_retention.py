"""Retention (`taskloom purge`): old history of finished tasks goes, everything else stays, in batches."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from domain.enums import ExecutionStatus, MessageStatus, TaskType, Trigger
from domain.models import (
    Artifact,
    ExecutionLogLine,
    OutboundMessage,
    Task,
    TaskEvent,
    TaskExecution,
    TaskLabel,
    Workspace,
)
from domain.services.retention import ArtifactFiles, PurgeCounts, parse_age, purge
from domain.state_machine import TaskStatus

TASKLOOM = str(Path(sys.executable).with_name("taskloom"))
NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
CUTOFF = NOW - timedelta(days=30)


@dataclass
class Seeded:
    task: Task
    files: list[Path]


async def seed(ws: Workspace, root: Path, status: TaskStatus, *, updated_at: datetime, runs: int = 1,
               events: int = 2) -> Seeded:
    """A task in `status` last changed at `updated_at`, with events, runs (each with 2 log lines, 1 artifact
    file) and one SENT message."""
    task = await Task.create(workspace=ws, title=f"{status} task", task_type=TaskType.API_CALL, status=status)
    await TaskLabel.create(task=task, label="keep-me")
    for _ in range(events):
        await TaskEvent.create(workspace=ws, task=task, task_type=task.task_type, to_status=status, actor="test")
    files = []
    for attempt in range(1, runs + 1):
        run = await TaskExecution.create(task=task, workspace=ws, attempt_number=attempt, triggered_by=Trigger.CREATE,
                                         status=ExecutionStatus.SUCCESS)
        for n in range(2):
            await ExecutionLogLine.create(execution=run, workspace=ws, at=updated_at, level="INFO", message=f"l{n}")
        rel = f"{ws.id}/{run.id}/shot.png"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"png")
        files.append(root / rel)
        await Artifact.create(workspace=ws, execution=run, name="shot", content_type="image/png", size_bytes=3,
                              path=rel)
    await OutboundMessage.create(workspace=ws, task=task, type="task.completed", body="{}", status=MessageStatus.SENT)
    await Task.filter(id=task.id).update(updated_at=updated_at)
    await OutboundMessage.filter(task_id=task.id).update(updated_at=updated_at)
    return Seeded(task, files)


async def history(task: Task) -> dict[str, int]:
    """How many rows of each kind the task still has."""
    runs = TaskExecution.filter(task_id=task.id)
    return {
        "events": await TaskEvent.filter(task_id=task.id).count(),
        "executions": await runs.count(),
        "log_lines": await ExecutionLogLine.filter(execution__task_id=task.id).count(),
        "artifacts": await Artifact.filter(execution__task_id=task.id).count(),
        "messages": await OutboundMessage.filter(task_id=task.id).count(),
        "labels": await TaskLabel.filter(task_id=task.id).count(),
    }


EMPTY = {"events": 0, "executions": 0, "log_lines": 0, "artifacts": 0, "messages": 0, "labels": 1}


@pytest.fixture
async def ws(db: str) -> Workspace:
    return await Workspace.create(name="acme")


async def test_purge_removes_old_finished_history_and_keeps_everything_else(ws: Workspace, tmp_path: Path) -> None:
    # Given old finished tasks, a recently finished one, and old tasks that have not finished
    old_done = [await seed(ws, tmp_path, s, updated_at=OLD)
                for s in (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)]
    recent = await seed(ws, tmp_path, TaskStatus.COMPLETED, updated_at=NOW - timedelta(days=1))
    unfinished = [await seed(ws, tmp_path, s, updated_at=OLD)
                  for s in (TaskStatus.IN_PROGRESS, TaskStatus.QUEUED, TaskStatus.RETRYING, TaskStatus.SCHEDULED,
                            TaskStatus.PENDING, TaskStatus.AWAITING_REVIEW)]
    kept_before = {str(s.task.id): await history(s.task) for s in [recent, *unfinished]}

    # When purging what finished more than 30 days ago
    counts = await purge(CUTOFF, files=ArtifactFiles(tmp_path))

    # Then the old finished tasks lost their history (rows and files) but remain as tasks
    assert counts == PurgeCounts(events=6, log_lines=6, artifacts=3, executions=3, messages=3, tasks=0)
    for seeded in old_done:
        assert await history(seeded.task) == EMPTY
        assert await Task.exists(id=seeded.task.id)
        assert not any(f.exists() for f in seeded.files)
        assert not seeded.files[0].parent.exists(), "the execution's folder is left empty and removed"
    # And the recent one and every unfinished one are untouched, files included
    for seeded in [recent, *unfinished]:
        assert await history(seeded.task) == kept_before[str(seeded.task.id)]
        assert (await Task.get(id=seeded.task.id)).status == seeded.task.status
        assert all(f.exists() for f in seeded.files)


async def test_purge_with_tasks_deletes_old_finished_tasks_entirely(ws: Workspace, tmp_path: Path) -> None:
    old = await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD)
    recent = await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=NOW)
    running = await seed(ws, tmp_path, TaskStatus.IN_PROGRESS, updated_at=OLD)

    counts = await purge(CUTOFF, files=ArtifactFiles(tmp_path), tasks=True)

    assert counts.tasks == 1 and counts.executions == 1
    assert not await Task.exists(id=old.task.id)
    assert await TaskLabel.filter(task_id=old.task.id).count() == 0
    assert not old.files[0].exists()
    assert await Task.exists(id=recent.task.id) and await Task.exists(id=running.task.id)
    assert recent.files[0].exists() and running.files[0].exists()


async def test_purge_works_through_more_than_one_batch(ws: Workspace, tmp_path: Path) -> None:
    # Given more tasks, and more rows of each kind, than one batch of 2 holds
    seeded = [await seed(ws, tmp_path, TaskStatus.COMPLETED, updated_at=OLD, runs=5, events=7)]
    seeded += [await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD, runs=1, events=1) for _ in range(2)]
    keep = await seed(ws, tmp_path, TaskStatus.QUEUED, updated_at=OLD, runs=5, events=7)

    counts = await purge(CUTOFF, files=ArtifactFiles(tmp_path), batch_size=2, tasks=True)

    assert counts == PurgeCounts(events=9, log_lines=14, artifacts=7, executions=7, messages=3, tasks=3)
    assert await Task.all().count() == 1
    assert await history(keep.task) == {"events": 7, "executions": 5, "log_lines": 10, "artifacts": 5,
                                        "messages": 1, "labels": 1}
    assert not any(f.exists() for s in seeded for f in s.files)


async def test_dry_run_counts_and_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    old = await seed(ws, tmp_path, TaskStatus.COMPLETED, updated_at=OLD, runs=2, events=3)
    await seed(ws, tmp_path, TaskStatus.IN_PROGRESS, updated_at=OLD)
    before = await history(old.task)

    counted = await purge(CUTOFF, files=ArtifactFiles(tmp_path), tasks=True, dry_run=True)

    assert counted == PurgeCounts(events=3, log_lines=4, artifacts=2, executions=2, messages=1, tasks=1)
    assert await history(old.task) == before and await Task.all().count() == 2
    assert all(f.exists() for f in old.files)
    # And a real run removes exactly what the dry run counted
    assert await purge(CUTOFF, files=ArtifactFiles(tmp_path), tasks=True) == counted


async def test_only_done_messages_go_and_task_less_ones_too(ws: Workspace, tmp_path: Path) -> None:
    # Given an old finished task whose completion notice is still being retried
    old = await seed(ws, tmp_path, TaskStatus.COMPLETED, updated_at=OLD)
    retrying = await OutboundMessage.create(workspace=ws, task=old.task, type="task.completed", body="{}",
                                            status=MessageStatus.QUEUED)
    # And old and recent messages that belong to no task (their task was deleted)
    orphan_old = await OutboundMessage.create(workspace=ws, type="notification", body="{}",
                                              status=MessageStatus.FAILED)
    orphan_recent = await OutboundMessage.create(workspace=ws, type="notification", body="{}",
                                                 status=MessageStatus.SENT)
    await OutboundMessage.filter(id__in=[retrying.id, orphan_old.id]).update(updated_at=OLD)

    counts = await purge(CUTOFF, files=ArtifactFiles(tmp_path))

    assert counts.messages == 2
    remaining = set(await OutboundMessage.all().values_list("id", flat=True))
    assert remaining == {retrying.id, orphan_recent.id}


async def test_a_task_changed_after_the_cutoff_keeps_its_history(ws: Workspace, tmp_path: Path) -> None:
    # Given a task that failed long ago and was executed again and failed a minute ago
    task = (await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD)).task
    await Task.filter(id=task.id).update(updated_at=NOW - timedelta(minutes=1))
    before = await history(task)

    assert await purge(CUTOFF, files=ArtifactFiles(tmp_path), tasks=True) == PurgeCounts()
    assert await history(task) == before


class RequeueOnFirstRemoval:
    """Removes files like ArtifactFiles and, after the first batch, puts `task` back in the queue (as
    executeTask would while a purge runs)."""

    def __init__(self, root: Path, task: Task) -> None:
        self.files, self.task, self.calls = ArtifactFiles(root), task, 0

    async def remove(self, paths: list[str]) -> None:
        self.calls += 1
        if self.calls == 1:
            await Task.filter(id=self.task.id).update(status=TaskStatus.QUEUED, updated_at=datetime.now(UTC))
        await self.files.remove(paths)


async def test_a_task_executed_again_during_a_purge_keeps_what_is_left(ws: Workspace, tmp_path: Path) -> None:
    # Given two old failed tasks, purged one row per transaction
    gone = await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD)
    again = await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD)
    remover = RequeueOnFirstRemoval(tmp_path, again.task)

    # When one of them is executed again after the first artifact batch
    await purge(CUTOFF, files=remover, batch_size=1)

    # Then the later batches leave its executions and messages alone (whichever task came first, that was before
    # executions); the other task's history is gone
    assert await history(gone.task) == EMPTY
    left = await history(again.task)
    assert left["executions"] == 1 and left["messages"] == 1 and left["labels"] == 1


async def test_a_task_locked_by_a_writer_is_skipped_not_waited_for(ws: Workspace, tmp_path: Path,
                                                                   database_url: str) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    # Given an old failed task that another transaction is changing right now (it holds the row lock)
    busy = await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD)
    idle = await seed(ws, tmp_path, TaskStatus.FAILED, updated_at=OLD)
    before = await history(busy.task)
    locked, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:  # its own asyncio task: its own transaction and connection
        async with in_transaction() as conn:
            await Task.filter(id=busy.task.id).using_db(conn).update(title="being executed again")
            locked.set()
            await release.wait()

    holder = asyncio.create_task(writer())
    await locked.wait()
    try:
        # When a purge runs meanwhile
        counts = await asyncio.wait_for(purge(CUTOFF, files=ArtifactFiles(tmp_path), tasks=True), 30)
    finally:
        release.set()
        await holder
    # Then it did not wait for the lock: the busy task is whole, the other one is gone
    assert counts.tasks == 1
    assert await history(busy.task) == before and all(f.exists() for f in busy.files)
    assert not await Task.exists(id=idle.task.id)


async def test_artifact_paths_outside_the_folder_are_never_removed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    root = tmp_path / "artifacts"
    root.mkdir()
    await ArtifactFiles(root).remove(["../outside.txt", "missing/gone.png"])
    assert outside.exists()


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("30d", timedelta(days=30), id="days"),
    pytest.param("12h", timedelta(hours=12), id="hours"),
    pytest.param(" 90m ", timedelta(minutes=90), id="minutes"),
])
def test_parse_age_accepts_days_hours_and_minutes(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["30", "d", "0d", "-1d", "1.5d", "30x", "30 days", "1w", ""])
def test_parse_age_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="use a positive whole number and a unit"):
        parse_age(text)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    env["TASKLOOM_DATABASE_URL"] = f"sqlite://{cwd / 'purge.db'}"
    return subprocess.run([TASKLOOM, "purge", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_purge_command_refuses_a_bad_age_with_exit_code_2(tmp_path: Path) -> None:
    result = _cli("--older-than", "30x", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid age '30x'" in result.stderr and "d (days), h (hours) or m (minutes)" in result.stderr
    assert not (tmp_path / "purge.db").exists(), "nothing is opened before the arguments are checked"


def test_purge_command_dry_run_prints_counts(tmp_path: Path) -> None:
    result = _cli("--older-than", "30d", "--dry-run", "--tasks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "would remove: 0 events, 0 log lines, 0 artifacts, 0 executions, 0 messages, 0 tasks")
