"""Scope checks. Queries use the permission classes (a GraphQL error with code FORBIDDEN); mutations call
`missing_scope` and answer a `userErrors` entry instead, as API.md asks."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from api.graphql.context import Info
from domain.enums import Scope
from domain.errors import Forbidden

__all__ = ["CanAdmin", "CanRead", "missing_scope"]


class _ScopePermission(BasePermission):
    scope: Scope
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.allows(self.scope)


class CanRead(_ScopePermission):
    scope = Scope.TASKS_READ
    message = "this API key lacks the tasks:read scope"


class CanAdmin(_ScopePermission):
    scope = Scope.ADMIN
    message = "this API key lacks the admin scope"


def missing_scope(info: Info, scope: Scope) -> Forbidden | None:
    """A Forbidden error when the caller's key lacks `scope`, else None."""
    if info.context.principal.allows(scope):
        return None
    return Forbidden(f"this API key lacks the {scope.value} scope")
