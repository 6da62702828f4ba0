"""Runs one mutation's domain call: scope check first, then the error tree mapped to userErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors
from api.graphql.permissions import missing_scope
from domain.enums import Scope
from domain.errors import TaskloomError

T = TypeVar("T")


async def guarded(
    info: Info, scope: Scope, call: Callable[[], Awaitable[T]], *, prefix: Sequence[str] = ()
) -> tuple[T | None, list[UserError]]:
    """`(result, [])` on success, `(None, userErrors)` when the key lacks `scope` or the call refuses."""
    if (forbidden := missing_scope(info, scope)) is not None:
        return None, user_errors(forbidden)
    try:
        return await call(), []
    except TaskloomError as exc:
        return None, user_errors(exc, prefix)
