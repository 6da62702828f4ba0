"""The artifact store: where screenshots (and other files an execution makes) are kept.

`ArtifactStore` is the interface (an S3-compatible store would implement `put`/`open_path` the same way);
`FilesystemStore` keeps files under `TASKLOOM_ARTIFACTS_DIR/<workspace>/<execution>/<name>`.
`save_artifact()` stores the bytes and records the Artifact row through the domain service.
"""

from __future__ import annotations

import abc
import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.services.artifacts import create_artifact

if TYPE_CHECKING:
    from workers.context import ExecutionContext

__all__ = ["ArtifactStore", "FilesystemStore", "safe_name", "save_artifact"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/json": ".json", "text/plain": ".txt"}


def safe_name(name: str, content_type: str) -> str:
    """A file name made of `name` (unsafe characters replaced, at most 100) and the content type's extension."""
    stem = _UNSAFE.sub("_", name).strip("._")[:100] or "artifact"
    return stem + _EXTENSIONS.get(content_type, "")


class ArtifactStore(abc.ABC):
    """Keeps an artifact's bytes under a store-relative path."""

    @abc.abstractmethod
    async def put(self, workspace_id: str, execution_id: str, name: str, data: bytes, content_type: str) -> str:
        """Store `data`; returns the path to record on the Artifact row (unique within the execution)."""

    @abc.abstractmethod
    def open_path(self, path: str) -> Path | None:
        """The local file of a recorded path, or None when it is missing or outside the store."""


class FilesystemStore(ArtifactStore):
    """Files under `root/<workspace>/<execution>/<name>.<ext>`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    async def put(self, workspace_id: str, execution_id: str, name: str, data: bytes, content_type: str) -> str:
        return await asyncio.to_thread(self._put, workspace_id, execution_id, name, data, content_type)

    def _put(self, workspace_id: str, execution_id: str, name: str, data: bytes, content_type: str) -> str:
        folder = self.root / _UNSAFE.sub("_", workspace_id) / _UNSAFE.sub("_", execution_id)
        folder.mkdir(parents=True, exist_ok=True)
        file_name = safe_name(name, content_type)
        stem, dot, ext = file_name.rpartition(".") if "." in file_name else (file_name, "", "")
        candidate, n = folder / file_name, 1
        while True:
            try:
                with open(candidate, "xb") as out:  # never overwrite: a repeated name gets "-2", "-3", ...
                    out.write(data)
                break
            except FileExistsError:
                n += 1
                candidate = folder / f"{stem}-{n}{dot}{ext}"
        return candidate.relative_to(self.root).as_posix()

    def open_path(self, path: str) -> Path | None:
        root = self.root.resolve()
        full = (root / path).resolve()
        if not full.is_relative_to(root) or not full.is_file():
            return None
        return full


async def save_artifact(ctx: ExecutionContext, name: str, data: bytes, *,
                        content_type: str = "image/png") -> dict[str, Any]:
    """Store `data` in the context's store and record it on the execution; returns `{id, name, url, sizeBytes}`."""
    store: ArtifactStore = ctx.artifacts if ctx.artifacts is not None else FilesystemStore(ctx.settings.artifacts_dir)
    path = await store.put(ctx.workspace_id, ctx.execution_id, name, data, content_type)
    row = await create_artifact(workspace_id=ctx.workspace_id, execution_id=ctx.execution_id, name=name,
                                content_type=content_type, size_bytes=len(data), path=path)
    return {"id": str(row.id), "name": name, "url": f"/artifacts/{row.id}", "sizeBytes": len(data)}
