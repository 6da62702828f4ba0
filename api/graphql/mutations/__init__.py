"""The Mutation root, composed from one class per area."""

from __future__ import annotations

import strawberry

from api.graphql.mutations.api_keys import ApiKeyMutations
from api.graphql.mutations.tasks import TaskMutations
from api.graphql.mutations.webhooks import WebhookMutations

__all__ = ["Mutation"]


@strawberry.type
class Mutation(TaskMutations, WebhookMutations, ApiKeyMutations):
    pass
