"""API key mutations (admin, same workspace): create (the key is shown once) and revoke."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.mutations._guard import guarded
from api.graphql.types import ApiKeyPayload, DeletePayload
from domain.enums import Scope
from domain.services import api_keys as svc

__all__ = ["ApiKeyMutations"]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(description="admin; same workspace")
    async def create_api_key(self, info: Info, name: str, scopes: list[str]) -> ApiKeyPayload:
        made, errors = await guarded(info, Scope.ADMIN,
                                     lambda: svc.create_api_key(info.context.workspace_id, name, scopes))
        if made is None:
            return ApiKeyPayload(user_errors=errors)
        row, key = made
        return ApiKeyPayload(key=key, id=strawberry.ID(str(row.id)))

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> DeletePayload:
        row, errors = await guarded(info, Scope.ADMIN,
                                    lambda: svc.revoke_api_key(info.context.workspace_id, id))
        return DeletePayload(deleted_id=strawberry.ID(str(row.id)) if row else None, user_errors=errors)
