"""A local fake of GoHighLevel API v2 that checks what the real API checks (shared/reference/GHL_API.md).

Per request, in this order:
1. `Authorization: Bearer <the token>`, else 401 `Invalid JWT` (section 2).
2. A `Version` header: missing, 401 `version header was not found.`; unknown, 401 `version header is
   invalid` (section 1, community probes). Stricter than GHL on one point: a *known* version other than the
   one GHL_API.md recommends for the endpoint (2021-07-28 contacts/opportunities, 2021-04-15 conversations)
   is refused the same way, so a client that mixes them up fails here.
3. The burst limit, counted per token over a sliding window: 429 once `rate_max` requests fell within
   `rate_window_s` (section 8). Every answer carries the five `X-RateLimit-*` headers.
4. A scripted answer for the path, if one is queued (`script`): error cases on demand.
5. Query and body validation like GHL's NestJS validators: an undeclared key (query or body) gives 422
   `["property X should not exist"]`, so `locationId` is refused where the route does not declare it;
   required keys, types and enums are checked; the DELETE of tags needs its JSON body. A `locationId` the
   token may not use gives 403 (the message is a guess: GHL_API.md has no 403 example).
6. The route: contacts live in memory; a create that repeats an email or phone gives the duplicate-contact
   400 with `meta.contactId`; an unknown contact id gives 400 `Contact with id X not found` (section 2).

Every request is recorded (`seen`) with its arrival time.
"""

from __future__ import annotations

import json
import secrets
import string
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KNOWN_VERSIONS = frozenset({"v3", "2023-02-21", "2021-07-28", "2021-04-15", "legacy"})
CONTACTS = "2021-07-28"
CONVERSATIONS = "2021-04-15"

CONTACT_FIELDS = frozenset({
    "firstName", "lastName", "name", "email", "phone", "address1", "city", "state", "postalCode", "country",
    "gender", "website", "timezone", "source", "companyName", "assignedTo", "dateOfBirth", "dnd", "dndSettings",
    "inboundDndSettings", "tags", "customFields",
})
_STRING_FIELDS = frozenset({
    "firstName", "lastName", "name", "email", "phone", "address1", "city", "state", "postalCode", "country",
    "gender", "website", "timezone", "source", "companyName", "assignedTo", "dateOfBirth", "locationId",
    "body", "userId", "title", "color", "type", "contactId", "message", "fromNumber", "toNumber", "pipelineId",
    "pipelineStageId",
})
OPPORTUNITY_STATUSES = ("open", "won", "lost", "abandoned", "all")
MESSAGE_TYPES = ("SMS", "RCS", "Email", "WhatsApp", "IG", "FB", "Custom", "Live_Chat", "TIKTOK")

RATE_HEADERS = ("X-RateLimit-Limit-Daily", "X-RateLimit-Daily-Remaining", "X-RateLimit-Interval-Milliseconds",
                "X-RateLimit-Max", "X-RateLimit-Remaining")


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Answer:
    """A scripted response: status, JSON body and extra headers (they override the X-RateLimit-* ones)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def ghl_error(status: int, message: str | list[str], **extra: Any) -> dict[str, Any]:
    """GHL's NestJS-style error body."""
    errors = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 422: "Unprocessable Entity"}
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if status in errors:
        body["error"] = errors[status]
    return {**body, **extra}


def ghl_id() -> str:
    """A 20-character alphanumeric id, as GHL's look."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class _Spec:
    version: str
    allowed: frozenset[str]  # body keys the route declares
    required: tuple[str, ...] = ()
    has_body: bool = True


Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]


class FakeGhl:
    """The fake's state and its Starlette app.

    Parameters:
      token: the one Private Integration Token it accepts.
      location_ids: the locations that token may use (the first is "its" location).
      rate_max / rate_window_s: the burst limit (GHL's default: 100 per 10 s).
      allow_duplicates: the location setting that turns the duplicate-contact 400 off.
    """

    def __init__(self, *, token: str, location_ids: tuple[str, ...], rate_max: int = 100,
                 rate_window_s: float = 10.0, daily_max: int = 200_000, allow_duplicates: bool = False) -> None:
        self.token = token
        self.location_ids = location_ids
        self.url = ""
        self.daily_max = daily_max
        self.allow_duplicates = allow_duplicates
        self.reset(rate_max=rate_max, rate_window_s=rate_window_s)

    def reset(self, *, rate_max: int = 100, rate_window_s: float = 10.0) -> None:
        """Forget every request, contact, script and rate count; set the burst limit."""
        self.seen: list[Seen] = []
        self.contacts: dict[str, dict[str, Any]] = {}
        self.scripts: dict[tuple[str, str], list[Answer]] = {}
        self.rate_max = rate_max
        self.rate_window_s = rate_window_s
        self.limited: list[Seen] = []  # requests answered 429 by the fake's own limit
        self._admitted: deque[float] = deque()
        self._daily_used = 0

    # -- scripting and seeding ----------------------------------------------------------------------------

    def script(self, method: str, path: str, *answers: Answer) -> None:
        """Answer the next requests to `method path` (once they pass auth, Version and rate checks) with these."""
        self.scripts.setdefault((method.upper(), path), []).extend(answers)

    def seed_contact(self, **fields: Any) -> dict[str, Any]:
        """A contact that already exists in the fake's first location."""
        return self._store_contact({"locationId": self.location_ids[0], **fields})

    def to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]

    # -- the app ------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        contact_spec = _Spec(CONTACTS, CONTACT_FIELDS | {"locationId"}, ("locationId",))
        routes = [
            Route("/contacts/", self._endpoint(contact_spec, self._create_contact), methods=["POST"]),
            Route("/contacts", self._endpoint(contact_spec, self._create_contact), methods=["POST"]),
            Route("/contacts/upsert", self._endpoint(contact_spec, self._upsert_contact), methods=["POST"]),
            Route("/contacts/{contact_id}", self._endpoint(_Spec(CONTACTS, CONTACT_FIELDS), self._update_contact),
                  methods=["PUT"]),
            Route("/contacts/{contact_id}/tags",
                  self._endpoint(_Spec(CONTACTS, frozenset({"tags"}), ("tags",)), self._tags), methods=["POST", "DELETE"]),
            Route("/contacts/{contact_id}/notes",
                  self._endpoint(_Spec(CONTACTS, frozenset({"body", "userId", "title", "color", "pinned"}), ("body",)),
                                 self._note), methods=["POST"]),
            Route("/conversations/messages", self._endpoint(_Spec(CONVERSATIONS, frozenset({
                "type", "contactId", "message", "fromNumber", "toNumber", "attachments", "scheduledTimestamp",
                "templateId", "appointmentId", "conversationProviderId", "subType", "status"}), ("type", "contactId")),
                self._message), methods=["POST"]),
            Route("/opportunities/", self._endpoint(self._opportunity_spec(), self._opportunity), methods=["POST"]),
            Route("/opportunities", self._endpoint(self._opportunity_spec(), self._opportunity), methods=["POST"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
        return Starlette(routes=routes)

    @staticmethod
    def _opportunity_spec() -> _Spec:
        return _Spec(CONTACTS, frozenset({"pipelineId", "locationId", "name", "status", "contactId", "pipelineStageId",
                                          "monetaryValue", "assignedTo", "customFields"}),
                     ("pipelineId", "locationId", "name", "status", "contactId"))

    async def _record(self, request: Request) -> Seen:
        seen = Seen(request.method, request.url.path, dict(request.query_params),
                    {k.lower(): v for k, v in request.headers.items()}, await request.body(), time.monotonic())
        self.seen.append(seen)
        return seen

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Daily": str(self.daily_max),
            "X-RateLimit-Daily-Remaining": str(max(0, self.daily_max - self._daily_used)),
            "X-RateLimit-Interval-Milliseconds": str(round(self.rate_window_s * 1000)),
            "X-RateLimit-Max": str(self.rate_max),
            "X-RateLimit-Remaining": str(max(0, self.rate_max - len(self._admitted))),
        }

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(body, status_code=status, headers={**self._rate_headers(), **(headers or {})})

    def _over_limit(self, now: float) -> bool:
        while self._admitted and self._admitted[0] <= now - self.rate_window_s:
            self._admitted.popleft()
        if len(self._admitted) >= self.rate_max or self._daily_used >= self.daily_max:
            return True
        self._admitted.append(now)
        self._daily_used += 1
        return False

    def _endpoint(self, spec: _Spec, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            seen = await self._record(request)
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return self._answer(401, ghl_error(401, "Invalid JWT"))
            version = request.headers.get("version")
            if version is None:
                return self._answer(401, ghl_error(401, "version header was not found."))
            if version not in KNOWN_VERSIONS or version != spec.version:
                return self._answer(401, ghl_error(401, "version header is invalid"))
            if self._over_limit(seen.at):
                self.limited.append(seen)
                return self._answer(429, {"statusCode": 429, "message": "Too Many Requests"})
            queued = self.scripts.get((request.method, request.url.path))
            if queued:
                scripted = queued.pop(0)
                return self._answer(scripted.status, scripted.body, scripted.headers)
            problems = [f"property {key} should not exist" for key in request.query_params]
            body = _json_body(request, seen.body) if spec.has_body else {}
            if not isinstance(body, dict):
                return self._answer(400, ghl_error(400, "Unexpected token in JSON body"))
            problems += _validate(body, spec)
            if problems:
                return self._answer(422, ghl_error(422, problems))
            if "locationId" in body and body["locationId"] not in self.location_ids:
                return self._answer(403, ghl_error(403, "The token does not have access to this location."))
            return await handler(request, body)

        return endpoint

    async def _unknown(self, request: Request) -> Response:
        await self._record(request)
        return self._answer(404, ghl_error(404, f"Cannot {request.method} {request.url.path}"))

    # -- routes -------------------------------------------------------------------------------------------

    def _store_contact(self, fields: dict[str, Any]) -> dict[str, Any]:
        contact = {"id": ghl_id(), "dateAdded": _now(), "tags": [], "source": None, **fields}
        contact["dateUpdated"] = contact["dateAdded"]
        self.contacts[contact["id"]] = contact
        return contact

    def _matching(self, body: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
        for contact in self.contacts.values():
            if contact.get("locationId") != body.get("locationId"):
                continue
            if body.get("email") and str(contact.get("email", "")).lower() == str(body["email"]).lower():
                return contact, "email"
            if body.get("phone") and contact.get("phone") == body["phone"]:
                return contact, "phone"
        return None

    def _contact_or_error(self, contact_id: str) -> dict[str, Any] | Response:
        contact = self.contacts.get(contact_id)
        if contact is None:
            return self._answer(400, ghl_error(400, f"Contact with id {contact_id} not found"))
        return contact

    async def _create_contact(self, request: Request, body: dict[str, Any]) -> Response:
        match = None if self.allow_duplicates else self._matching(body)
        if match is not None:
            existing, matching_field = match
            name = existing.get("name") or " ".join(
                str(existing[k]) for k in ("firstName", "lastName") if existing.get(k))
            return self._answer(400, ghl_error(400, "This location does not allow duplicated contacts.", meta={
                "contactId": existing["id"], "contactName": name, "matchingField": matching_field}))
        return self._answer(201, {"contact": self._store_contact(body)})

    async def _upsert_contact(self, request: Request, body: dict[str, Any]) -> Response:
        match = self._matching(body)
        if match is None:
            return self._answer(200, {"new": True, "contact": self._store_contact(body), "traceId": str(uuid.uuid4())})
        contact = match[0]
        contact.update(body, dateUpdated=_now())  # tags given here replace the list (section 7)
        return self._answer(200, {"new": False, "contact": contact, "traceId": str(uuid.uuid4())})

    async def _update_contact(self, request: Request, body: dict[str, Any]) -> Response:
        contact = self._contact_or_error(request.path_params["contact_id"])
        if isinstance(contact, Response):
            return contact
        contact.update(body, dateUpdated=_now())
        return self._answer(200, {"succeded": True, "contact": contact})

    async def _tags(self, request: Request, body: dict[str, Any]) -> Response:
        contact = self._contact_or_error(request.path_params["contact_id"])
        if isinstance(contact, Response):
            return contact
        if request.method == "POST":
            contact["tags"] = [*contact["tags"], *(t for t in body["tags"] if t not in contact["tags"])]
            return self._answer(201, {"tags": contact["tags"]})
        contact["tags"] = [t for t in contact["tags"] if t not in body["tags"]]
        return self._answer(200, {"tags": contact["tags"]})

    async def _note(self, request: Request, body: dict[str, Any]) -> Response:
        contact = self._contact_or_error(request.path_params["contact_id"])
        if isinstance(contact, Response):
            return contact
        note = {"id": ghl_id(), "body": body["body"], "userId": body.get("userId"), "dateAdded": _now(),
                "contactId": contact["id"]}
        return self._answer(201, {"note": note})

    async def _message(self, request: Request, body: dict[str, Any]) -> Response:
        contact = self._contact_or_error(body["contactId"])
        if isinstance(contact, Response):
            return contact
        return self._answer(200, {"conversationId": ghl_id(), "messageId": ghl_id(),
                                  "msg": "Message queued successfully."})

    async def _opportunity(self, request: Request, body: dict[str, Any]) -> Response:
        contact = self._contact_or_error(body["contactId"])
        if isinstance(contact, Response):
            return contact
        now = _now()
        opportunity = {
            "id": ghl_id(), "name": body["name"], "monetaryValue": body.get("monetaryValue", 0),
            "pipelineId": body["pipelineId"], "pipelineStageId": body.get("pipelineStageId"),
            "assignedTo": body.get("assignedTo"), "status": body["status"], "source": "",
            "contactId": contact["id"], "locationId": body["locationId"], "lastStatusChangeAt": now,
            "lastStageChangeAt": now, "createdAt": now, "updatedAt": now,
            "contact": {k: contact.get(k) for k in ("id", "name", "email", "phone", "tags")},
            "customFields": [], "followers": [],
        }
        return self._answer(201, {"opportunity": opportunity})


def _json_body(request: Request, raw: bytes) -> Any:
    """The body as NestJS's parser sees it: JSON only under a JSON content type, else nothing."""
    if not raw or "application/json" not in request.headers.get("content-type", ""):
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _validate(body: dict[str, Any], spec: _Spec) -> list[str]:
    """class-validator's messages for `body` (whitelist with forbidNonWhitelisted, as GHL runs it)."""
    problems = [f"property {key} should not exist" for key in body if key not in spec.allowed]
    for key in spec.required:
        if body.get(key) in (None, "", []):
            problems.append(f"{key} should not be empty")
    for key, value in body.items():
        if key in _STRING_FIELDS and not isinstance(value, str):
            problems.append(f"{key} must be a string")
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list):
            problems.append("tags must be an array")
        elif not all(isinstance(tag, str) for tag in tags):
            problems.append("each value in tags must be a string")
    if "monetaryValue" in body and (isinstance(body["monetaryValue"], bool)
                                    or not isinstance(body["monetaryValue"], int | float)):
        problems.append("monetaryValue must be a number conforming to the specified constraints")
    if "status" in body and "pipelineId" in spec.allowed and body["status"] not in OPPORTUNITY_STATUSES:
        problems.append(f"status must be one of the following values: {', '.join(OPPORTUNITY_STATUSES)}")
    if "type" in body and body["type"] not in MESSAGE_TYPES:
        problems.append(f"type must be one of the following values: {', '.join(MESSAGE_TYPES)}")
    return problems
