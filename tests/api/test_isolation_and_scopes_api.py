"""Workspaces never see each other; scopes are enforced per operation; keys authenticate."""

from __future__ import annotations

import httpx
import pytest
from conftest import Caller, make_caller
from samples import CREATE_TASK, CREATE_WEBHOOK, TASK_BY_ID, action, task_input

from domain.models import ApiKey, Task, Webhook

GET_EXECUTION = "query($id: ID!) { execution(id: $id) { id } }"
UPDATE = "mutation($id: ID!) { updateTask(id: $id, input: {title: \"x\"}) { task { id } userErrors { code } } }"
DELETE = "mutation($id: ID!) { deleteTask(id: $id) { deletedId userErrors { code } } }"
UPDATE_HOOK = "mutation($id: ID!) { updateWebhook(id: $id, input: {name: \"x\"}) { webhook { id } userErrors { code } } }"
DELETE_HOOK = "mutation($id: ID!) { deleteWebhook(id: $id) { deletedId userErrors { code } } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { deletedId userErrors { code } } }"
REDELIVER = "mutation($id: ID!) { redeliverMessage(id: $id) { message { id } userErrors { code } } }"


async def test_another_workspace_cannot_touch_a_task(admin: Caller, other_admin: Caller) -> None:
    task_id = (await admin(CREATE_TASK, {"input": task_input(requiresHumanReview=True)}))["createTask"]["task"]["id"]
    assert (await other_admin(TASK_BY_ID, {"id": task_id}))["task"] is None
    listed = await other_admin("{ tasks { totalCount nodes { id } } }")
    assert listed["tasks"] == {"totalCount": 0, "nodes": []}
    for doc, name in [(UPDATE, "updateTask"), (action("executeTask"), "executeTask"),
                      (action("approveTask"), "approveTask"), (action("rejectTask", ', reason: "x"'), "rejectTask"),
                      (action("cancelTask"), "cancelTask"), (DELETE, "deleteTask")]:
        payload = (await other_admin(doc, {"id": task_id}))[name]
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], name
    stored = await Task.get(id=task_id)
    assert stored.status.value == "AWAITING_REVIEW" and stored.title == "a API_CALL task"


async def test_another_workspace_cannot_touch_a_webhook_or_key(admin: Caller, other_admin: Caller) -> None:
    hook = (await admin(CREATE_WEBHOOK, {"input": {"name": "h", "url": "http://127.0.0.1:9/h"}}))
    hook_id = hook["createWebhook"]["webhook"]["id"]
    assert (await other_admin("{ webhooks { id } }"))["webhooks"] == []
    assert (await other_admin(UPDATE_HOOK, {"id": hook_id}))["updateWebhook"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert (await other_admin(DELETE_HOOK, {"id": hook_id}))["deleteWebhook"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await Webhook.filter(id=hook_id).count() == 1
    key_id = str((await ApiKey.get(name="acme-admin")).id)
    assert key_id not in str(await other_admin("{ apiKeys { id } }"))
    assert (await other_admin(REVOKE, {"id": key_id}))["revokeApiKey"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert (await ApiKey.get(id=key_id)).revoked_at is None
    # A task of workspace B cannot name workspace A's webhook either.
    payload = (await other_admin(CREATE_TASK, {"input": task_input(sourceWebhookId=hook_id)}))["createTask"]
    assert payload["userErrors"][0]["field"] == ["input", "sourceWebhookId"]


async def test_unknown_ids_answer_like_other_workspaces_ids(admin: Caller) -> None:
    assert (await admin(TASK_BY_ID, {"id": "not-a-uuid"}))["task"] is None
    assert (await admin(GET_EXECUTION, {"id": "00000000-0000-0000-0000-000000000001"}))["execution"] is None
    payload = (await admin(REDELIVER, {"id": "00000000-0000-0000-0000-000000000001"}))["redeliverMessage"]
    assert payload["userErrors"] == [{"code": "NOT_FOUND"}]


SCOPE_MATRIX = [
    # (scopes, mutation name, allowed)
    (["tasks:read"], "createTask", False),
    (["tasks:write"], "createTask", True),
    (["tasks:review"], "createTask", False),
    (["tasks:write"], "approveTask", False),
    (["tasks:review"], "approveTask", True),
    (["tasks:write"], "createWebhook", False),
    (["admin"], "createWebhook", True),
    (["tasks:write"], "createApiKey", False),
]


@pytest.mark.parametrize(("scopes", "mutation", "allowed"),
                         [pytest.param(*c, id=f"{','.join(c[0])} {c[1]} {'ok' if c[2] else 'FORBIDDEN'}")
                          for c in SCOPE_MATRIX])
async def test_mutation_scopes(http: httpx.AsyncClient, admin: Caller, scopes: list[str], mutation: str,
                               allowed: bool) -> None:
    caller = await make_caller(http, "acme", scopes)
    review_task = (await admin(CREATE_TASK, {"input": task_input(requiresHumanReview=True)}))["createTask"]["task"]
    docs = {
        "createTask": (CREATE_TASK, {"input": task_input()}),
        "approveTask": (action("approveTask"), {"id": review_task["id"]}),
        "createWebhook": (CREATE_WEBHOOK, {"input": {"name": "h", "url": "http://127.0.0.1:9/h"}}),
        "createApiKey": ('mutation { createApiKey(name: "n", scopes: ["tasks:read"]) { key userErrors { code } } }',
                         {}),
    }
    doc, variables = docs[mutation]
    payload = (await caller(doc, variables))[mutation]
    codes = [e["code"] for e in payload["userErrors"]]
    assert codes == ([] if allowed else ["FORBIDDEN"])


async def test_query_scopes_answer_forbidden_errors(http: httpx.AsyncClient) -> None:
    writer = await make_caller(http, "acme", ["tasks:write"])
    body = (await writer.raw("{ tasks { totalCount } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    reader = await make_caller(http, "acme", ["tasks:read"])
    assert (await reader("{ tasks { totalCount } }"))["tasks"]["totalCount"] == 0
    body = (await reader.raw("{ apiKeys { id } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("authorization", [
    pytest.param(None, id="no header"),
    pytest.param("Bearer tlk_not-a-real-key", id="unknown key"),
    pytest.param("Basic dXNlcjpwYXNz", id="wrong scheme"),
])
async def test_missing_or_bad_key_is_401_unauthenticated(http: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await http.post("/graphql", json={"query": "{ tasks { totalCount } }"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_key_stops_working(http: httpx.AsyncClient, admin: Caller) -> None:
    made = await admin('mutation { createApiKey(name: "temp", scopes: ["tasks:read"]) { key id userErrors { code } } }')
    key, key_id = made["createApiKey"]["key"], made["createApiKey"]["id"]
    temp = Caller(http, key, admin.workspace_id)
    assert (await temp("{ tasks { totalCount } }"))["tasks"]["totalCount"] == 0
    assert (await admin(REVOKE, {"id": key_id}))["revokeApiKey"] == {"deletedId": key_id, "userErrors": []}
    assert (await temp.raw("{ tasks { totalCount } }")).status_code == 401
    listed = (await admin("{ apiKeys { name prefix revokedAt } }"))["apiKeys"]
    temp_row = next(k for k in listed if k["name"] == "temp")
    assert temp_row["revokedAt"] and key.startswith(temp_row["prefix"]) and len(temp_row["prefix"]) < len(key)


async def test_unknown_scopes_are_a_validation_error(admin: Caller) -> None:
    payload = await admin('mutation { createApiKey(name: "n", scopes: ["tasks:everything"]) { key userErrors { field code } } }')
    assert payload["createApiKey"] == {"key": None, "userErrors": [{"field": ["scopes"], "code": "VALIDATION"}]}


async def test_graphiql_page_and_health_need_no_key(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


async def test_readyz_reports_an_unreachable_broker(app_server: object, database_url: str) -> None:
    from conftest import free_port, serving

    from api.app import create_app
    from domain.services.effects import Effects
    from domain.settings import load_settings

    dead = free_port()  # nothing listens there
    settings = load_settings(database_url=database_url, broker_url=f"redis://127.0.0.1:{dead}/0", _env_file=None)
    port = free_port()
    app = create_app(settings, own_database=False, effects=Effects())
    async with serving(app, port), httpx.AsyncClient() as client:
        ready = await client.get(f"http://127.0.0.1:{port}/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "broker": "unreachable: ConnectionError"}
