"""Logging for every Taskloom process: plain text or one JSON object a line (`TASKLOOM_LOG_FORMAT=json`), and
the run context — every line logged while a task runs carries its `task_id` and `execution_id`.

The runner binds the context right after the claim (`bind_run`); contextvars keep it per asyncio task, so
concurrent runs on one loop never mix ids. `RunContextFilter` copies it onto each record at the handler.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["RunContext", "RunContextFilter", "bind_run", "configure_logging", "current_run", "format_handlers"]

#: Libraries that log values which may hold secrets (SQL parameters, request URLs), and the lowest level
#: they may log at whatever TASKLOOM_LOG_LEVEL says.
_QUIET_LOGGERS = {"tortoise": logging.INFO, "aiosqlite": logging.INFO, "asyncpg": logging.INFO,
                  "httpx": logging.WARNING, "httpcore": logging.INFO}
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class RunContext:
    """The task run a line belongs to."""

    task_id: str
    execution_id: str
    task_type: str


_RUN: ContextVar[RunContext | None] = ContextVar("taskloom_run", default=None)


def bind_run(task_id: str, execution_id: str, task_type: str) -> None:
    """Mark the current asyncio task (and what it awaits) as running this attempt, for logs and traces."""
    _RUN.set(RunContext(task_id, execution_id, task_type))


def run_ids(task_id: str, execution_id: str) -> dict[str, str]:
    """`extra=` for a line about another run than the one bound here (a group commit logs for all its items)."""
    return {"task_id": task_id, "execution_id": execution_id}


def current_run() -> RunContext | None:
    """The run bound in this context, if any."""
    return _RUN.get()


class RunContextFilter(logging.Filter):
    """Adds `task_id` and `execution_id` to records logged inside a run (attach it to handlers); a record that
    names its run itself (`run_ids`: a line one batch writes for many runs) keeps its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        run = _RUN.get()
        if run is not None and not hasattr(record, "task_id"):
            record.task_id = run.task_id
            record.execution_id = run.execution_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: at, level, logger, message, and task_id/execution_id inside a run."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("task_id", "execution_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """The human format, with `[task=… execution=…]` appended inside a run."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if hasattr(record, "task_id"):
            line = f"{line} [task={record.task_id} execution={record.execution_id}]"
        return line


def _formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter(_TEXT_FORMAT)


def format_handlers(fmt: str) -> None:
    """Give the root logger's existing handlers Taskloom's format and the run context (a dramatiq worker
    process keeps the handler dramatiq set up: it writes to the pipe its parent reads)."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_formatter(fmt))
        if not any(isinstance(f, RunContextFilter) for f in handler.filters):
            handler.addFilter(RunContextFilter())


def configure_logging(level: str, fmt: str) -> None:
    """Log to stderr at `level` in `fmt` ("text" or "json"), with the secret-prone libraries held quieter."""
    root = logging.getLogger()
    root.handlers[:] = [logging.StreamHandler()]
    format_handlers(fmt)
    root.setLevel(level)
    for name, floor in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), floor))
