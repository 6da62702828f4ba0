"""Opaque cursors and the `first` bounds of API.md (1 to 200)."""

from __future__ import annotations

import base64
import json
from typing import Any

import strawberry

from api.graphql.errors import bad_user_input

__all__ = ["MAX_PAGE", "PageInfo", "check_first", "decode_cursor", "encode_cursor"]

#: Largest `first` a connection accepts.
MAX_PAGE = 200


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise bad_user_input(f"first must be between 1 and {MAX_PAGE}, not {first}")


def encode_cursor(kind: str, key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, key], separators=(",", ":")).encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> Any:
    """The key inside `cursor`, or None; a cursor that was not made for `kind` is BAD_USER_INPUT."""
    if cursor is None:
        return None
    try:
        got_kind, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise bad_user_input(f"invalid cursor {cursor!r}") from None
    if got_kind != kind:
        raise bad_user_input(f"this cursor is not for {kind}")
    return key
