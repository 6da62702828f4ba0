"""The one mapping from Taskloom's error tree to GraphQL: `userErrors` codes and GraphQL error codes."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from api.graphql.enums import UserErrorCode
from domain.errors import Conflict, Forbidden, InvalidTransition, NotFound, TaskloomError, ValidationFailed
from domain.transient import is_transient

__all__ = ["MaskUnexpectedErrors", "UserError", "bad_user_input", "should_mask_error", "user_errors"]

#: The message of an error a transient database failure caused (`extensions.code` UNAVAILABLE).
UNAVAILABLE_MESSAGE = "A service this request needs is unavailable for a moment; send the request again."

_CODES: list[tuple[type[TaskloomError], UserErrorCode]] = [
    (ValidationFailed, UserErrorCode.VALIDATION),
    (NotFound, UserErrorCode.NOT_FOUND),
    (InvalidTransition, UserErrorCode.INVALID_STATE),
    (Forbidden, UserErrorCode.FORBIDDEN),
    (Conflict, UserErrorCode.CONFLICT),
]


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: UserErrorCode


def user_errors(exc: TaskloomError, prefix: Sequence[str] = ()) -> list[UserError]:
    """`exc` as userErrors; `prefix` goes before every field path (e.g. `["input"]`)."""
    code = next(c for kind, c in _CODES if isinstance(exc, kind))
    if isinstance(exc, ValidationFailed):
        return [UserError(field=[*prefix, *e.path], message=e.message, code=code) for e in exc.errors]
    field = [*prefix, *exc.field] if exc.field else None
    if isinstance(exc, NotFound) and exc.field:
        field = list(exc.field)  # ids are top-level arguments, never inside the input
    return [UserError(field=field, message=exc.message, code=code)]


def bad_user_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def should_mask_error(error: GraphQLError) -> bool:
    """Mask only unexpected exceptions; GraphQL's own and our coded errors pass through.

    A scalar that refuses an input value raises ValueError or TypeError while the request is validated or its
    variables coerced (no field `path` yet): that message tells the client what to fix, so it passes through.
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    if error.path is None and isinstance(original, ValueError | TypeError):
        return False
    return not (error.extensions or {}).get("code")


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's MaskErrors (`should_mask_error` says which), except that an error a transient failure caused
    (the database restarting, a dropped connection, a busy SQLite file, a refused connection: `domain.transient`)
    says so, with `extensions.code` UNAVAILABLE: the client may send the same request again (`createTask` with
    its `idempotencyKey` creates nothing twice). Its details stay in the server's log."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is not None and is_transient(error.original_error):
            return GraphQLError(UNAVAILABLE_MESSAGE, nodes=error.nodes, source=error.source,
                                positions=error.positions, path=error.path, extensions={"code": "UNAVAILABLE"})
        return super().anonymise_error(error)
