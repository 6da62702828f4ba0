"""A small graphql-transport-ws client over the `websockets` library, for the subscription tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOL = "graphql-transport-ws"


class WsClient:
    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, http_url: str, key: str | None) -> WsClient:
        """Open `/graphql`, send connection_init with the key, and wait for connection_ack."""
        conn = await websockets.connect(http_url.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL])
        client = cls(conn)
        payload = {"authorization": f"Bearer {key}"} if key else {}
        await conn.send(json.dumps({"type": "connection_init", "payload": payload}))
        return client

    @classmethod
    async def acked_connect(cls, http_url: str, key: str | None) -> WsClient:
        """`connect`, then wait for the server's connection_ack."""
        client = await cls.connect(http_url, key)
        await client.acked()
        return client

    async def acked(self) -> None:
        message = await self.receive()
        assert message["type"] == "connection_ack", message

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.conn.send(json.dumps({"id": op_id, "type": "subscribe",
                                         "payload": {"query": query, "variables": variables or {}}}))

    async def receive(self, timeout_s: float = 10) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.conn.recv(), timeout_s))
            if message["type"] == "ping":
                await self.conn.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def next_data(self, op_id: str, timeout_s: float = 10) -> dict[str, Any] | None:
        """The next `next` payload's data for `op_id`; None when the operation completes."""
        while True:
            message = await self.receive(timeout_s)
            if message.get("id") != op_id:
                continue
            if message["type"] == "complete":
                return None
            assert message["type"] == "next", message
            assert not message["payload"].get("errors"), message
            return message["payload"]["data"]

    async def close(self) -> None:
        await self.conn.close()
