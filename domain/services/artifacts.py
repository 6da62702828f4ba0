"""Artifact rows: the files an execution produced (screenshots), always read within one workspace."""

from __future__ import annotations

import uuid

from domain.models import Artifact

__all__ = ["create_artifact", "get_artifact"]


async def create_artifact(*, workspace_id: str, execution_id: str, name: str, content_type: str,
                          size_bytes: int, path: str) -> Artifact:
    """Record a stored file as an artifact of the execution."""
    return await Artifact.create(workspace_id=workspace_id, execution_id=execution_id, name=name,
                                 content_type=content_type, size_bytes=size_bytes, path=path)


async def get_artifact(workspace_id: str, artifact_id: str) -> Artifact | None:
    """The artifact of that id in that workspace; None for another workspace's, an unknown or a malformed id."""
    try:
        uuid.UUID(artifact_id)
    except ValueError:
        return None
    return await Artifact.get_or_none(id=artifact_id, workspace_id=workspace_id)
