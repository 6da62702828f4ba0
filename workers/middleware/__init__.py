"""Dramatiq middleware that owns a worker process's resources, one behaviour per module."""

from workers.middleware.host_loop import HostLoop
from workers.middleware.resources import Resources, WorkerRuntime, get_runtime

__all__ = ["HostLoop", "Resources", "WorkerRuntime", "get_runtime"]
