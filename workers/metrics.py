"""A `taskloom worker`'s metrics: Taskloom's series (`domain.metrics`) and dramatiq's own (`dramatiq_*`), written
by every worker process to one prometheus-client multiprocess directory and served together on
`TASKLOOM_METRICS_HOST:TASKLOOM_WORKER_METRICS_PORT` (0: none).

Dramatiq forks its worker processes, so each one writes its own files (prometheus-client's multiprocess mode)
and one reader adds them up. Dramatiq's `Prometheus` middleware brings that reader: an exposition server that
dramatiq's main process runs as a fork process. It takes its folder, host and port from environment variables
read when it is imported, so `prepare()` sets them, with `PROMETHEUS_MULTIPROC_DIR`, before dramatiq starts.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from dramatiq.middleware import Middleware

from domain.settings import Settings

__all__ = ["metrics_middleware", "multiprocess_folder", "prepare", "serve_process_metrics"]

logger = logging.getLogger(__name__)


def multiprocess_folder(configured: str = "") -> Path:
    """Make (or empty) a prometheus-client multiprocess folder — `configured`, or a fresh temporary one — and
    set `PROMETHEUS_MULTIPROC_DIR` for this process and the ones it starts; call before prometheus_client is
    imported (it picks its mode once, at import, from that variable).

    Raises:
        RuntimeError: prometheus_client was imported already.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess folder was prepared")
    folder = Path(configured or tempfile.mkdtemp(prefix="taskloom-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # a previous run's counters would be added to this one's
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def prepare(settings: Settings) -> Path | None:
    """Make (or empty) the multiprocess folder and point prometheus-client and dramatiq's exporter at it; call
    before dramatiq imports anything. Returns the folder, or None when the port is 0 (no metrics).

    The folder is passed on as `TASKLOOM_WORKER_METRICS_DIR`, which tells the worker processes to list
    the `Prometheus` middleware.
    """
    if settings.worker_metrics_port == 0:
        return None
    folder = multiprocess_folder(settings.worker_metrics_dir)
    os.environ.update(
        TASKLOOM_WORKER_METRICS_DIR=str(folder),
        dramatiq_prom_db=str(folder),
        dramatiq_prom_host=settings.metrics_host,
        dramatiq_prom_port=str(settings.worker_metrics_port),
    )
    return folder


def metrics_middleware(settings: Settings) -> list[Middleware]:
    """Dramatiq's `Prometheus` middleware when `prepare()` set the worker processes up for it, else nothing
    (the embedded engine's series go to the API's `/metrics`)."""
    if settings.worker_metrics_port == 0 or not settings.worker_metrics_dir or settings.broker_url.startswith("memory://"):
        return []
    from dramatiq.middleware.prometheus import Prometheus

    return [Prometheus()]


def serve_process_metrics(host: str, port: int) -> None:
    """Serve this one process's series on `host:port` from a daemon thread (`taskloom scheduler`: one process,
    no multiprocess folder). A port in use is logged, not raised: the process's work matters more."""
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        logger.error("metrics not served on %s:%d: %s", host, port, exc)
