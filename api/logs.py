"""Logging setup from the settings: plain text, or one JSON object a line (`TASKLOOM_LOG_FORMAT=json`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["configure_logging"]

#: Libraries that log values which may hold secrets (SQL parameters, request URLs), and the lowest level
#: they may log at whatever TASKLOOM_LOG_LEVEL says.
_QUIET_LOGGERS = {"tortoise": logging.INFO, "aiosqlite": logging.INFO, "asyncpg": logging.INFO,
                  "httpx": logging.WARNING, "httpcore": logging.INFO}


class JsonFormatter(logging.Formatter):
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
        return json.dumps(entry)


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), floor))
