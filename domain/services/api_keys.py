"""API keys: create (shown once), authenticate by SHA-256 hash, list, revoke."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from domain.enums import Scope
from domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from domain.models import ApiKey, Workspace

__all__ = [
    "KEY_PREFIX",
    "Principal",
    "authenticate",
    "create_api_key",
    "ensure_workspace",
    "hash_key",
    "list_api_keys",
    "parse_scopes",
    "revoke_api_key",
]

#: Every key starts with this, so a leaked key is recognisable (secret scanners, logs).
KEY_PREFIX = "tlk_"
#: Characters of the key kept in clear, for display.
_DISPLAY_PREFIX_LEN = 12
#: last_used_at is written at most this often per key.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key of one workspace, with its scopes."""

    key_id: str
    key_name: str
    workspace_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"key:{self.key_name}"

    def allows(self, scope: Scope) -> bool:
        return Scope.ADMIN.value in self.scopes or scope.value in self.scopes


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(scopes: Sequence[str], *, field: tuple[str, ...] = ("scopes",)) -> list[str]:
    """The scopes, checked against the known ones.

    Raises:
        ValidationFailed: an unknown or missing scope.
    """
    known = {s.value for s in Scope}
    cleaned = [s.strip() for s in scopes if s.strip()]
    unknown = [s for s in cleaned if s not in known]
    if unknown or not cleaned:
        what = f"unknown scope(s) {', '.join(map(repr, unknown))}" if unknown else "give at least one scope"
        raise ValidationFailed([FieldError(field, f"{what}; known scopes: {', '.join(sorted(known))}")])
    return list(dict.fromkeys(cleaned))


async def ensure_workspace(name: str) -> Workspace:
    """The workspace called `name`, created if missing."""
    workspace, _ = await Workspace.get_or_create(name=name)
    return workspace


async def create_api_key(workspace_id: str, name: str | None, scopes: Sequence[str]) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the key itself, which is not stored and cannot be shown again.

    Raises:
        ValidationFailed: bad scopes or name. Conflict: the name is taken in this workspace.
    """
    checked = parse_scopes(scopes)
    if name is not None and not 1 <= len(name.strip()) <= 100:
        raise ValidationFailed([FieldError(("name",), "a key name is 1 to 100 characters")])
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        row = await ApiKey.create(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            name=name.strip() if name else f"key-{secrets.token_hex(4)}",
            key_hash=hash_key(key),
            prefix=key[:_DISPLAY_PREFIX_LEN],
            scopes=checked,
        )
    except IntegrityError:
        raise Conflict(f"a key named {name!r} already exists in this workspace", field=["name"]) from None
    return row, key


async def authenticate(key: str) -> Principal | None:
    """The principal of a valid, unrevoked key, or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = await ApiKey.get_or_none(key_hash=hash_key(key), revoked_at=None)
    if row is None:
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
        await ApiKey.filter(id=row.id).update(last_used_at=now)
    return Principal(str(row.id), row.name, str(row.workspace_id), frozenset(row.scopes))


async def list_api_keys(workspace_id: str) -> list[ApiKey]:
    return await ApiKey.filter(workspace_id=workspace_id).order_by("created_at", "id")


async def revoke_api_key(workspace_id: str, key_id: str) -> ApiKey:
    """Revoke a key of the workspace (revoking twice is harmless).

    Raises:
        NotFound: no such key in this workspace.
    """
    try:
        ident = uuid.UUID(str(key_id))
    except ValueError:
        raise NotFound(f"no API key with id {key_id!r}", field=["id"]) from None
    row = await ApiKey.get_or_none(id=ident, workspace_id=workspace_id)
    if row is None:
        raise NotFound(f"no API key with id {key_id!r}", field=["id"])
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        await row.save(update_fields=["revoked_at"])
    return row
