"""Attempts held by a worker, for the tests of what happens to a run: API_CALL tasks created and claimed through
the services, against the real database."""

from __future__ import annotations

from domain.enums import ExecutionType, TaskType
from domain.models import Workspace
from domain.services.effects import Effects
from domain.services.runs import Claim, claim_task
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks


async def claims(n: int, *, effects: Effects | None = None) -> tuple[str, list[Claim]]:
    """`n` tasks created in a new workspace and claimed by worker "host:1"; returns the workspace id and the claims."""
    effects = effects or Effects()
    workspace = await Workspace.create(name="claims")
    drafts = [TaskDraft(title=f"call {i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                        assigned_to_bot=True, execution_config={"apiEndpoint": "http://127.0.0.1:9/"})
              for i in range(n)]
    tasks = await create_tasks(str(workspace.id), drafts, actor="test", effects=effects, capabilities=Capabilities())
    held = [await claim_task(str(t.id), worker_id="host:1", effects=effects) for t in tasks]
    assert all(held)
    return str(workspace.id), held  # type: ignore[return-value]
