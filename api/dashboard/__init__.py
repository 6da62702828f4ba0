"""The dashboard (issue #7): a single page served at `/`, its ES modules and CSS under `/static/<version>/`.

No build step: `static/` is served as it is. See `api/dashboard/routes.py` for the headers.
"""

from __future__ import annotations

from api.dashboard.routes import dashboard_routes

__all__ = ["dashboard_routes"]
