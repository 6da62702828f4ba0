"""Webhooks (where notices go) and the redelivery of outbound messages.

A webhook URL passes the egress guard when it is created or changed (and again at every send). Secrets
follow the Standard Webhooks format `whsec_<base64>`; one is generated when none is given.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from domain.egress import EgressPolicy, EgressRefused
from domain.enums import MessageStatus
from domain.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from domain.models import OutboundMessage, Webhook

__all__ = [
    "SECRET_PREFIX",
    "create_webhook",
    "delete_webhook",
    "generate_secret",
    "get_webhook",
    "list_webhooks",
    "redeliver_message",
    "update_webhook",
]

SECRET_PREFIX = "whsec_"
#: Random bytes in a generated secret (Standard Webhooks recommends 24 to 64).
_SECRET_BYTES = 32


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def _check_secret(secret: str) -> None:
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        ok = secret.startswith(SECRET_PREFIX) and len(base64.b64decode(body, validate=True)) >= 16
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        raise ValidationFailed([FieldError(("secret",), "a secret is 'whsec_' then base64 of 16 to 64 random "
                                           "bytes; leave it out to have one generated")])


async def _check_url(url: str, egress: EgressPolicy) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed([FieldError(("url",), f"{url!r} is not an http(s) URL")])
    try:
        await egress.check_url(url)
    except EgressRefused as exc:
        raise ValidationFailed([FieldError(("url",), str(exc))]) from None


def _check_name(name: str) -> None:
    if not 1 <= len(name.strip()) <= 200:
        raise ValidationFailed([FieldError(("name",), "a webhook name is 1 to 200 characters")])


async def get_webhook(workspace_id: str, webhook_id: str) -> Webhook:
    """Raises NotFound for an unknown id or another workspace's."""
    try:
        ident = uuid.UUID(str(webhook_id))
    except ValueError:
        raise NotFound(f"no webhook with id {webhook_id!r}", field=["id"]) from None
    hook = await Webhook.get_or_none(id=ident, workspace_id=workspace_id)
    if hook is None:
        raise NotFound(f"no webhook with id {webhook_id!r}", field=["id"])
    return hook


async def list_webhooks(workspace_id: str) -> list[Webhook]:
    return await Webhook.filter(workspace_id=workspace_id).order_by("created_at", "id")


async def create_webhook(
    workspace_id: str, *, name: str, url: str, secret: str | None, is_active: bool, egress: EgressPolicy
) -> tuple[Webhook, str]:
    """Create a webhook; returns it with its secret (shown to the caller once)."""
    _check_name(name)
    await _check_url(url, egress)
    if secret is not None:
        _check_secret(secret)
    secret = secret or generate_secret()
    hook = await Webhook.create(
        id=uuid.uuid4(), workspace_id=workspace_id, name=name.strip(), url=url, secret=secret, is_active=is_active
    )
    return hook, secret


async def update_webhook(workspace_id: str, webhook_id: str, changes: dict[str, Any], *,
                         egress: EgressPolicy) -> Webhook:
    """Change the given fields (name, url, secret, is_active); None is not a value for any of them."""
    hook = await get_webhook(workspace_id, webhook_id)
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        camel = {"is_active": "isActive"}
        raise ValidationFailed([FieldError((camel.get(k, k),), "cannot be null") for k in nulls])
    if "name" in changes:
        _check_name(changes["name"])
    if "url" in changes:
        await _check_url(changes["url"], egress)
    if "secret" in changes:
        _check_secret(changes["secret"])
    for key, value in changes.items():
        setattr(hook, key, value)
    await hook.save()
    return hook


async def delete_webhook(workspace_id: str, webhook_id: str) -> str:
    hook = await get_webhook(workspace_id, webhook_id)
    await hook.delete()
    return str(hook.id)


async def redeliver_message(workspace_id: str, message_id: str) -> OutboundMessage:
    """Send a FAILED message again: it goes back to QUEUED, due now.

    Raises:
        NotFound; InvalidTransition when the message is not FAILED.
    """
    try:
        ident = uuid.UUID(str(message_id))
    except ValueError:
        raise NotFound(f"no message with id {message_id!r}", field=["id"]) from None
    message = await OutboundMessage.get_or_none(id=ident, workspace_id=workspace_id)
    if message is None:
        raise NotFound(f"no message with id {message_id!r}", field=["id"])
    moved = await OutboundMessage.filter(id=ident, status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED, next_attempt_at=datetime.now(UTC), last_error=None,
        updated_at=datetime.now(UTC),
    )
    if moved == 0:
        raise InvalidTransition(f"only a FAILED message can be redelivered; this one is {message.status.value}")
    await message.refresh_from_db()
    return message
