"""A fake OpenAI-compatible `/v1/chat/completions` on 127.0.0.1: answers scripted contents, records requests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class FakeLlm:
    """Answers each request with the next scripted content (the last one repeats)."""

    url: str = ""
    answers: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def script(self, *answers: Any) -> None:
        """Contents to answer, in order: a dict/list is sent as its JSON text, a str as is."""
        self.answers = [a if isinstance(a, str) else json.dumps(a) for a in answers]
        self.requests.clear()

    def app(self) -> Starlette:
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"headers": dict(request.headers), "body": body})
            content = self.answers.pop(0) if len(self.answers) > 1 else (self.answers[0] if self.answers else "{}")
            return JSONResponse({
                "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 1735689600,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content, "refusal": None}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            })

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
