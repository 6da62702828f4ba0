"""The module `dramatiq` imports in each worker process (`taskloom worker` runs `dramatiq workers.main`).

It is an entrypoint: it loads the settings and sets up THE broker with the actors declared on it.
"""

from __future__ import annotations

from domain.settings import load_settings
from workers.broker import setup_broker

broker = setup_broker(load_settings())
