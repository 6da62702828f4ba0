"""The GHL_ACTION executor: one GoHighLevel call per attempt (API.md, GHL_ACTION row; issue 6).

`TASKLOOM_GHL_API_KEY` is the Private Integration Token, `TASKLOOM_GHL_BASE_URL` the API root and
`TASKLOOM_GHL_LOCATION_ID` the location when the config gives no `locationId`. The call goes through the
process's plain GHL client and shared rate limiter (`workers.ghl.shared_resources`), not through the
egress-guarded `ctx.http`: the GHL URL is the operator's, and trusted.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from domain.configs.ghl_action import GhlActionConfig
from domain.errors import ExecutorError, PermanentError
from domain.services.rate_limits import RateLimiter
from workers.context import ExecutionContext, ExecutorResult
from workers.ghl import ACTIONS_NEEDING_LOCATION, GhlClient, shared_resources

__all__ = ["run"]

# The config keys each GHL endpoint declares (camelCase, as GHL names them); GHL answers 422 to any other.
_CONTACT_FIELDS = ("firstName", "lastName", "name", "email", "phone", "tags")
_OPPORTUNITY_FIELDS = ("pipelineId", "pipelineStageId", "name", "status", "contactId", "monetaryValue")
# Bookkeeping keys of GHL's answers that are not part of the entity.
_NOT_ENTITY = frozenset({"traceId", "succeded", "succeeded"})


def _fields(config: GhlActionConfig, keys: tuple[str, ...]) -> dict[str, Any]:
    given = config.model_dump(by_alias=True, exclude_none=True)
    return {key: given[key] for key in keys if key in given}


def _given(value: Any, key: str, action: str) -> Any:
    # GhlActionConfig already requires these per action; this guards a config built around the validator.
    if value is None:
        raise PermanentError(f"ghlAction '{action}' needs '{key}' in the executionConfig")
    return value


async def _call(ghl: GhlClient, config: GhlActionConfig, timeout_s: float) -> dict[str, Any]:
    action = config.ghl_action
    match action:
        case "add_contact":
            return await ghl.add_contact(_fields(config, _CONTACT_FIELDS), timeout_s=timeout_s)
        case "upsert_contact":
            return await ghl.upsert_contact(_fields(config, _CONTACT_FIELDS), timeout_s=timeout_s)
        case "update_contact":
            contact_id = _given(config.contact_id, "contactId", action)
            return await ghl.update_contact(contact_id, _fields(config, _CONTACT_FIELDS), timeout_s=timeout_s)
        case "add_tag":
            contact_id = _given(config.contact_id, "contactId", action)
            return await ghl.add_tag(contact_id, _given(config.tags, "tags", action), timeout_s=timeout_s)
        case "remove_tag":
            contact_id = _given(config.contact_id, "contactId", action)
            return await ghl.remove_tag(contact_id, _given(config.tags, "tags", action), timeout_s=timeout_s)
        case "add_note":
            contact_id = _given(config.contact_id, "contactId", action)
            return await ghl.add_note(contact_id, _given(config.body, "body", action), timeout_s=timeout_s)
        case "send_sms":
            contact_id = _given(config.contact_id, "contactId", action)
            return await ghl.send_sms(contact_id, _given(config.message, "message", action), timeout_s=timeout_s)
        case "create_opportunity":
            return await ghl.create_opportunity(_fields(config, _OPPORTUNITY_FIELDS), timeout_s=timeout_s)
    raise PermanentError(f"ghlAction '{action}' is not one this worker knows")  # a newer API than this worker


def _id_of(answer: dict[str, Any], entity: str) -> str:
    value = answer.get(entity)
    return str(value.get("id", "?")) if isinstance(value, dict) else "?"


def _summary(config: GhlActionConfig, answer: dict[str, Any]) -> str:
    action = config.ghl_action
    if action in ("add_contact", "update_contact"):
        return f"{action} -> contact {_id_of(answer, 'contact')}"
    if action == "upsert_contact":
        return f"{action} -> contact {_id_of(answer, 'contact')} ({'new' if answer.get('new') else 'existing'})"
    if action in ("add_tag", "remove_tag"):
        tags = answer.get("tags")
        now = ", ".join(map(str, tags)) if isinstance(tags, list) and tags else "none"
        return f"{action} -> contact {config.contact_id} (tags now: {now})"
    if action == "add_note":
        return f"{action} -> note {_id_of(answer, 'note')} on contact {config.contact_id}"
    if action == "send_sms":
        return f"{action} -> message {answer.get('messageId', '?')} in conversation {answer.get('conversationId', '?')}"
    return f"{action} -> opportunity {_id_of(answer, 'opportunity')}"


async def run(
    config: GhlActionConfig,
    ctx: ExecutionContext,
    *,
    http: httpx.AsyncClient | None = None,
    limiter: RateLimiter | None = None,
) -> ExecutorResult:
    """Run the configured GoHighLevel action and return the entity GHL answered, e.g. `{contact: {...}}`.

    Parameters:
      config: the task's validated executionConfig.
      ctx: the attempt's context: settings (GHL token, base URL, default location), deadline and log.
      http: the client to call GHL with; defaults to the process's plain GHL client.
      limiter: the rate limiter; defaults to the process's shared one (Redis on a Redis broker).

    Returns:
      GHL's answer without its bookkeeping keys (`traceId`, `succeded`): `{contact}` (upsert adds `new`),
      `{tags}`, `{note}`, `{conversationId, messageId, msg}` or `{opportunity}`; the summary names the entity.

    Raises:
      PermanentError: no TASKLOOM_GHL_API_KEY; no location for an action that needs one; GHL refused the
        request (401/403/404/422, a duplicate contact: see `GhlClient`).
      RetryableError: 429 (with its wait), 5xx, network errors, or no rate-limit slot before the deadline.
    """
    settings = ctx.settings
    action = config.ghl_action
    if not settings.ghl_api_key:
        raise PermanentError(f"{action}: no GoHighLevel token; set TASKLOOM_GHL_API_KEY (a Private Integration Token)")
    location_id = config.location_id or settings.ghl_location_id
    if action in ACTIONS_NEEDING_LOCATION and not location_id:
        raise PermanentError(
            f"{action} needs a GoHighLevel location: give locationId in the executionConfig "
            "or set TASKLOOM_GHL_LOCATION_ID"
        )
    if http is None or limiter is None:
        shared = shared_resources(settings)
        http = shared.http if http is None else http
        limiter = shared.limiter if limiter is None else limiter
    ghl = GhlClient(
        client=http, base_url=settings.ghl_base_url, token=settings.ghl_api_key, limiter=limiter,
        location_id=location_id,
    )
    where = f" for location {location_id}" if location_id else ""
    ctx.log(f"{action}: calling GoHighLevel{where}")
    started = time.perf_counter()
    try:
        answer = await _call(ghl, config, ctx.remaining_s())
    except ExecutorError as exc:
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        ctx.log(f"{action}: failed after {elapsed_ms} ms: {exc.message}", level="WARNING")
        raise
    summary = _summary(config, answer)
    ctx.log(f"{summary} in {round((time.perf_counter() - started) * 1000)} ms")
    return ExecutorResult(output={k: v for k, v in answer.items() if k not in _NOT_ENTITY}, summary=summary)
