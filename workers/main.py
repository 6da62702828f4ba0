"""The module `dramatiq` imports in each worker process (`taskloom worker` runs `dramatiq workers.main`).

It is an entrypoint: it loads the settings, sets up logging and tracing, and sets up THE broker with the actors declared
on it.
"""

from __future__ import annotations

from domain.logs import configure_logging
from domain.settings import load_settings
from workers.broker import setup_broker
from workers.tracing import setup_tracing

settings = load_settings()
configure_logging(settings.log_level, settings.log_format)  # stderr is dramatiq's pipe to its main process here
setup_tracing(settings, service_name="taskloom-worker")
broker = setup_broker(settings)
