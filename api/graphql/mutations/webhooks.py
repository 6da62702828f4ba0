"""Webhook mutations (admin): create (secret shown once), update, delete, redeliver a message."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.inputs import CreateWebhookInput, UpdateWebhookInput
from api.graphql.mutations._guard import guarded
from api.graphql.types import DeletePayload, MessagePayload, OutboundMessage, Webhook, WebhookPayload
from domain.enums import Scope
from domain.services import webhooks as svc

__all__ = ["WebhookMutations"]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> WebhookPayload:
        c = info.context
        made, errors = await guarded(info, Scope.ADMIN, lambda: svc.create_webhook(
            c.workspace_id, name=input.name, url=input.url, secret=input.secret, is_active=input.is_active,
            egress=c.services.egress), prefix=["input"])
        if made is None:
            return WebhookPayload(user_errors=errors)
        hook, secret = made
        return WebhookPayload(webhook=Webhook.of(hook), secret=secret)

    @strawberry.mutation
    async def update_webhook(self, info: Info, id: strawberry.ID, input: UpdateWebhookInput) -> WebhookPayload:
        c = info.context
        hook, errors = await guarded(info, Scope.ADMIN, lambda: svc.update_webhook(
            c.workspace_id, id, input.to_changes(), egress=c.services.egress), prefix=["input"])
        return WebhookPayload(webhook=Webhook.of(hook) if hook else None, user_errors=errors)

    @strawberry.mutation
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> DeletePayload:
        deleted, errors = await guarded(info, Scope.ADMIN,
                                        lambda: svc.delete_webhook(info.context.workspace_id, id))
        return DeletePayload(deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors)

    @strawberry.mutation(description="a FAILED message is sent again")
    async def redeliver_message(self, info: Info, id: strawberry.ID) -> MessagePayload:
        message, errors = await guarded(info, Scope.ADMIN,
                                        lambda: svc.redeliver_message(info.context.workspace_id, id))
        return MessagePayload(message=OutboundMessage.of(message) if message else None, user_errors=errors)
