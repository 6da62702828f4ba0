"""The Taskloom error tree.

    TaskloomError
    ├── NotFound                 an id that does not exist in the caller's workspace
    ├── InvalidTransition        a status change the state machine does not allow (or lost a race)
    ├── ValidationFailed         input that breaks a rule; carries one FieldError per problem
    │   └── ConfigInvalid        an executionConfig that does not match its task type's schema
    ├── Forbidden                the caller's key lacks the scope an operation needs
    ├── Conflict                 a uniqueness rule (a name already taken, ...)
    └── ExecutorError            an attempt failed while running a task
        ├── RetryableError       worth another attempt: network errors, timeouts, 408/425/429/5xx
        └── PermanentError       not worth retrying: other 4xx, validation, egress refused

The API maps these to `userErrors` codes in one place (`api/graphql/errors.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigInvalid",
    "Conflict",
    "ExecutorError",
    "FieldError",
    "Forbidden",
    "InvalidTransition",
    "NotFound",
    "PermanentError",
    "RetryableError",
    "TaskloomError",
    "ValidationFailed",
]


class TaskloomError(Exception):
    """Root of every error Taskloom raises on purpose."""

    def __init__(self, message: str, *, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = list(field) if field is not None else None


class NotFound(TaskloomError):
    """Raised when an id does not exist in the caller's workspace (another workspace's id included)."""


class InvalidTransition(TaskloomError):
    """Raised when the state machine refuses a status change, or another writer moved the task first."""


class Forbidden(TaskloomError):
    """Raised when the caller's API key lacks the scope an operation needs."""


class Conflict(TaskloomError):
    """Raised when a write would break a uniqueness rule."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; `path` is relative to the input object."""

    path: tuple[str, ...]
    message: str


class ValidationFailed(TaskloomError):
    """Raised when input breaks a rule; `errors` lists every problem found, each with its field path."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{'.'.join(e.path) or 'input'}: {e.message}" for e in self.errors))

    def prefixed(self, *prefix: str) -> ValidationFailed:
        """The same problems with `prefix` put in front of every path (e.g. `("inputs", "3")`)."""
        return type(self)([FieldError((*prefix, *e.path), e.message) for e in self.errors])


class ConfigInvalid(ValidationFailed):
    """Raised when an executionConfig does not match the schema of its task type."""


class ExecutorError(TaskloomError):
    """Raised by an executor when an attempt fails."""


class RetryableError(ExecutorError):
    """An attempt failed for a reason worth retrying; `retry_after_s` carries a server's Retry-After."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(ExecutorError):
    """An attempt failed for a reason another attempt would not fix."""
