"""Task mutations: create (one or many), update, execute, approve, reject, cancel, delete."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.inputs import CreateTaskInput, UpdateTaskInput
from api.graphql.mutations._guard import guarded
from api.graphql.types import DeletePayload, Task, TaskPayload, TasksPayload
from domain.enums import Scope
from domain.services import tasks as svc

__all__ = ["TaskMutations"]


def _payload(row: object, errors: list) -> TaskPayload:
    return TaskPayload(task=Task.of(row) if row is not None else None, user_errors=errors)  # type: ignore[arg-type]


@strawberry.type
class TaskMutations:
    @strawberry.mutation
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskPayload:
        c = info.context
        row, errors = await guarded(info, Scope.TASKS_WRITE, lambda: svc.create_task(
            c.workspace_id, input.to_draft(), actor=c.principal.actor, effects=c.services.effects,
            capabilities=c.services.capabilities), prefix=["input"])
        return _payload(row, errors)

    @strawberry.mutation(description="all or nothing, up to 1000")
    async def create_tasks(self, info: Info, inputs: list[CreateTaskInput]) -> TasksPayload:
        c = info.context
        rows, errors = await guarded(info, Scope.TASKS_WRITE, lambda: svc.create_tasks(
            c.workspace_id, [i.to_draft() for i in inputs], actor=c.principal.actor,
            effects=c.services.effects, capabilities=c.services.capabilities))
        return TasksPayload(tasks=[Task.of(r) for r in rows or []], user_errors=errors)

    @strawberry.mutation(description="not while QUEUED or IN_PROGRESS")
    async def update_task(self, info: Info, id: strawberry.ID, input: UpdateTaskInput) -> TaskPayload:
        c = info.context
        row, errors = await guarded(info, Scope.TASKS_WRITE, lambda: svc.update_task(
            c.workspace_id, id, input.to_changes(), capabilities=c.services.capabilities), prefix=["input"])
        return _payload(row, errors)

    @strawberry.mutation
    async def execute_task(self, info: Info, id: strawberry.ID) -> TaskPayload:
        c = info.context
        row, errors = await guarded(info, Scope.TASKS_WRITE, lambda: svc.execute_task(
            c.workspace_id, id, actor=c.principal.actor, effects=c.services.effects,
            capabilities=c.services.capabilities))
        return _payload(row, errors)

    @strawberry.mutation
    async def approve_task(self, info: Info, id: strawberry.ID, notes: str | None = None) -> TaskPayload:
        c = info.context
        row, errors = await guarded(info, Scope.TASKS_REVIEW, lambda: svc.approve_task(
            c.workspace_id, id, notes, actor=c.principal.actor, effects=c.services.effects))
        return _payload(row, errors)

    @strawberry.mutation
    async def reject_task(self, info: Info, id: strawberry.ID, reason: str) -> TaskPayload:
        c = info.context
        row, errors = await guarded(info, Scope.TASKS_REVIEW, lambda: svc.reject_task(
            c.workspace_id, id, reason, actor=c.principal.actor, effects=c.services.effects))
        return _payload(row, errors)

    @strawberry.mutation
    async def cancel_task(self, info: Info, id: strawberry.ID, reason: str | None = None) -> TaskPayload:
        c = info.context
        row, errors = await guarded(info, Scope.TASKS_WRITE, lambda: svc.cancel_task(
            c.workspace_id, id, reason, actor=c.principal.actor, effects=c.services.effects))
        return _payload(row, errors)

    @strawberry.mutation(description="not while IN_PROGRESS")
    async def delete_task(self, info: Info, id: strawberry.ID) -> DeletePayload:
        deleted, errors = await guarded(info, Scope.TASKS_WRITE,
                                        lambda: svc.delete_task(info.context.workspace_id, id))
        return DeletePayload(deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors)
