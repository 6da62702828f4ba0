"""Bearer-key authentication for HTTP: the principal goes into the ASGI scope, or the request gets a 401.

Open without a key (API.md): `/healthz`, `/readyz`, `/metrics`, the dashboard under `/`, and the GraphiQL
page (`GET /graphql` asking for HTML). WebSocket connections authenticate in `connection_init` instead.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.services.api_keys import Principal, authenticate

__all__ = ["ANONYMOUS", "PRINCIPAL_KEY", "BearerAuthMiddleware", "bearer_key"]

#: Where the authenticated Principal is kept in the ASGI scope.
PRINCIPAL_KEY = "taskloom.principal"

#: The null principal: no workspace, no scope.
ANONYMOUS = Principal(key_id="", key_name="anonymous", workspace_id="", scopes=frozenset())

_PROTECTED_PREFIXES = ("/graphql", "/artifacts")


def bearer_key(authorization: str | None) -> str | None:
    """The key in an `Authorization: Bearer <key>` value, or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


def _is_graphiql_page(scope: Scope, headers: Headers) -> bool:
    return (
        scope["method"] == "GET"
        and scope["path"].rstrip("/") == "/graphql"
        and "text/html" in headers.get("accept", "")
        and b"query=" not in scope.get("query_string", b"")
    )


class BearerAuthMiddleware:
    """Authenticates HTTP requests to protected paths; answers 401 UNAUTHENTICATED when the key is bad."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_PROTECTED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" or _is_graphiql_page(scope, headers):
            await self.app(scope, receive, send)
            return
        key = bearer_key(headers.get("authorization"))
        principal = await authenticate(key) if key else None
        if principal is None:
            await _unauthenticated(send, "missing API key" if key is None else "invalid or revoked API key")
            return
        scope[PRINCIPAL_KEY] = principal
        await self.app(scope, receive, send)


async def _unauthenticated(send: Send, message: str) -> None:
    body = json.dumps({
        "data": None,
        "errors": [{"message": f"{message}; send Authorization: Bearer <api key>",
                    "extensions": {"code": "UNAUTHENTICATED"}}],
    }).encode()
    await send({
        "type": "http.response.start",
        "status": 401,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="taskloom"')],
    })
    await send({"type": "http.response.body", "body": body})
