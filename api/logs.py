"""The API side's logging setup; the formats and the run context live in `domain.logs` (workers use them too)."""

from __future__ import annotations

from domain.logs import configure_logging

__all__ = ["configure_logging"]
