"""`GET /artifacts/{id}`: an execution's file (a screenshot), for keys of its workspace with tasks:read.

BearerAuthMiddleware has already authenticated the key (401 otherwise). Another workspace's artifact is a
404, exactly like an unknown id: ids of other workspaces are not confirmed to exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from api.auth import ANONYMOUS, PRINCIPAL_KEY
from domain.enums import Scope
from domain.services.artifacts import get_artifact

__all__ = ["download_artifact"]


async def download_artifact(request: Request) -> Response:
    principal = request.scope.get(PRINCIPAL_KEY, ANONYMOUS)
    if not principal.allows(Scope.TASKS_READ):
        return JSONResponse({"error": "this API key lacks the tasks:read scope needed to download artifacts"},
                            status_code=403)
    from workers.artifacts import FilesystemStore  # the store the workers write to

    row = await get_artifact(principal.workspace_id, request.path_params["artifact_id"])
    store = FilesystemStore(request.app.state.services.settings.artifacts_dir)
    path = store.open_path(row.path) if row is not None else None
    if row is None or path is None:
        return JSONResponse({"error": "no such artifact in this workspace"}, status_code=404)
    return FileResponse(path, media_type=row.content_type, headers={"Cache-Control": "private, no-store"})
