"""Hiding secrets in executionConfig (API output) and keeping them when a masked config comes back.

The rules look at key names only, at any depth and for every task type, so a secret added to a future
config (or sitting in an API_CALL body) is covered without a change here:

- a key whose last word is token, secret or password, or that ends in "api key" (`bearerToken`, `apiKey`,
  `password`, `clientSecret`; not `apiKeyHeader`, not a step's keyboard `key`);
- inside `headers`: Authorization, Proxy-Authorization, Cookie, Set-Cookie, names ending in -Key, -Token
  or -Secret, names containing api-key, apikey, token, secret or password, and the `apiKeyHeader` name;
- inside `query`: parameters named like a token, key, secret, password, signature or credential.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..enums import TaskType

__all__ = ["SECRET_MASK", "is_secret_path", "mask_secrets", "merge_secrets"]

#: What a secret value reads as in API output; sending it back in an update keeps the stored value.
SECRET_MASK = "***"

_SECRET_LAST_WORDS = frozenset({"token", "secret", "password", "passwd"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SECRET_HEADER_SUFFIXES = ("-key", "-token", "-secret")
_SECRET_HEADER_PARTS = ("api-key", "apikey", "token", "secret", "password")
_SECRET_QUERY_WORDS = frozenset(
    {
        "token",
        "key",
        "apikey",
        "secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "auth",
        "credential",
        "credentials",
    }
)
_SECRET_QUERY_PARTS = ("token", "secret", "password", "apikey", "signature")

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _words(name: str) -> list[str]:
    """`bearerToken` -> [bearer, token]; `X-API-Key` -> [x, api, key]; `access_token` -> [access, token]."""
    return [w.lower() for w in _WORD.findall(name)]


def _is_secret_key(key: str) -> bool:
    words = _words(key)
    return bool(words) and (
        words[-1] in _SECRET_LAST_WORDS or words[-2:] == ["api", "key"] or words[-1] == "apikey"
    )


@functools.lru_cache(maxsize=1024)
def _is_secret_header(name: str) -> bool:
    # Cached: every response header of every API_CALL is checked, and a few names recur across all of them.
    lowered = name.lower()
    return (
        lowered in _SECRET_HEADERS
        or lowered.endswith(_SECRET_HEADER_SUFFIXES)
        or any(part in lowered for part in _SECRET_HEADER_PARTS)
    )


def _is_secret_query_param(name: str) -> bool:
    joined = name.lower()
    return any(word in _SECRET_QUERY_WORDS for word in _words(name)) or any(
        part in joined for part in _SECRET_QUERY_PARTS
    )


def _is_secret(parent: str | None, key: str, api_key_header: str | None) -> bool:
    if parent == "headers":
        return _is_secret_header(key) or (
            api_key_header is not None and key.lower() == api_key_header.lower()
        )
    if parent == "query":
        return _is_secret_query_param(key)
    return _is_secret_key(key)


def is_secret_path(path: Sequence[str]) -> bool:
    """Whether the value at `path` (camelCase keys inside executionConfig) is a secret by the rules above."""
    if not path:
        return False
    return _is_secret(path[-2] if len(path) > 1 else None, path[-1], None)


def _api_key_header(mapping: Mapping[str, Any]) -> str | None:
    value = mapping.get("apiKeyHeader")
    return value if isinstance(value, str) else None


def mask_secrets(task_type: TaskType, config: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `config` with every secret value (not null) replaced by SECRET_MASK.

    Parameters:
      task_type: The task's type. The rules are the same for every type today (see the module docstring).
      config: An executionConfig as stored (see `normalized`).

    Returns:
      The copy; `config` is left untouched.
    """
    return _mask(config, None, None)


def _mask(value: Any, parent: str | None, api_key_header: str | None) -> Any:
    if isinstance(value, Mapping):
        inner_header = _api_key_header(value)
        return {
            key: SECRET_MASK
            if item is not None and _is_secret(parent, str(key), api_key_header)
            else _mask(item, str(key), inner_header)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask(item, None, None) for item in value]
    return copy.deepcopy(value)


def merge_secrets(task_type: TaskType, new: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The config an update stores: `new`, except that SECRET_MASK at a secret key keeps `stored`'s value.

    A client that read a task (secrets masked) and sends its executionConfig back with changes must not
    wipe the secrets it never saw. Header names match case-insensitively; list items match by index.

    Parameters:
      task_type: The task's type. The rules are the same for every type today (see the module docstring).
      new: The executionConfig of the update.
      stored: The executionConfig stored so far, unmasked.

    Returns:
      A deep copy of `new` with the masked secrets restored. A SECRET_MASK with no stored value to
      restore stays as it is.
    """
    return _merge(new, stored, None, None)


def _merge(new: Any, stored: Any, parent: str | None, api_key_header: str | None) -> Any:
    if isinstance(new, Mapping):
        old: Mapping[str, Any] = stored if isinstance(stored, Mapping) else {}
        if parent == "headers":  # header names are case-insensitive
            old = {str(k).lower(): v for k, v in old.items()}
        inner_header = _api_key_header(new) or _api_key_header(old)
        merged = {}
        for key, item in new.items():
            old_item = old.get(str(key).lower() if parent == "headers" else key)
            if item == SECRET_MASK and old_item is not None and _is_secret(parent, str(key), api_key_header):
                merged[key] = copy.deepcopy(old_item)
            else:
                merged[key] = _merge(item, old_item, str(key), inner_header)
        return merged
    if isinstance(new, list | tuple):
        old_list = stored if isinstance(stored, list | tuple) else []
        return [
            _merge(item, old_list[i] if i < len(old_list) else None, None, None) for i, item in enumerate(new)
        ]
    return copy.deepcopy(new)
