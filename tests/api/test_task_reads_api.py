"""Reads: secrets masked, filters, keyset pagination under inserts, constant SQL per page, limits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest
from conftest import Caller
from samples import CREATE_TASK, CREATE_TASKS, TASK_BY_ID, action, task_input, valid_configs

from api.live.hub import TASK_NAME_PREFIX as HUB_TASK_NAME_PREFIX
from api.logs import configure_logging


async def test_secrets_come_back_masked_everywhere(admin: Caller) -> None:
    hook = (await admin('mutation { createWebhook(input: {name: "h", url: "http://127.0.0.1:9/h"}) '
                        "{ webhook { id } secret } }"))["createWebhook"]
    assert hook["secret"].startswith("whsec_")
    config = valid_configs(hook["webhook"]["id"])["API_CALL"]
    created = (await admin(CREATE_TASK, {"input": task_input("API_CALL", config)}))["createTask"]["task"]
    read = (await admin(TASK_BY_ID, {"id": created["id"]}))["task"]
    listed = (await admin("{ tasks { nodes { executionConfig } } }"))["tasks"]["nodes"][0]
    for shown in (created["executionConfig"], read["executionConfig"], listed["executionConfig"]):
        assert shown["bearerToken"] == "***" and shown["headers"]["X-Api-Key"] == "***"
        assert shown["headers"]["X-Trace"] == "1"
    everything = str(await admin("{ webhooks { id name url } tasks { nodes { executionConfig } } }"))
    assert "PLANTED-SECRET" not in everything and hook["secret"] not in everything


async def test_an_update_that_sends_the_mask_keeps_the_secret(admin: Caller) -> None:
    from domain.models import Task

    config = {"apiEndpoint": "https://a.example", "authType": "bearer", "bearerToken": "tok-1"}
    task = (await admin(CREATE_TASK, {"input": task_input("API_CALL", config)}))["createTask"]["task"]
    doc = "mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { userErrors { code } } }"
    shown = {**config, "bearerToken": "***", "apiMethod": "PUT"}
    assert (await admin(doc, {"id": task["id"], "input": {"executionConfig": shown}}))["updateTask"]["userErrors"] == []
    stored = (await Task.get(id=task["id"])).execution_config
    assert stored["bearerToken"] == "tok-1" and stored["apiMethod"] == "PUT"


async def test_secrets_are_not_logged(admin: Caller, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("DEBUG", "text")  # the app's own logging setup, at its most verbose
    logging.getLogger().addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG):
            config = {"apiEndpoint": "https://a.example", "authType": "bearer", "bearerToken": "LOGGED-SECRET-42"}
            await admin(CREATE_TASK, {"input": task_input("API_CALL", config)})
            await admin(CREATE_TASK, {"input": task_input("API_CALL", {**config, "apiMethod": "NOPE"})})
        assert caplog.records, "nothing was captured: the test would prove nothing"
        assert "LOGGED-SECRET-42" not in caplog.text and admin.key not in caplog.text
    finally:
        logging.getLogger().handlers.clear()
        for name in ("tortoise", "aiosqlite", "asyncpg", "httpx", "httpcore"):  # undo configure_logging's floors
            logging.getLogger(name).setLevel(logging.NOTSET)


async def test_filters(admin: Caller) -> None:
    await admin(CREATE_TASKS, {"inputs": [
        task_input(title="invoice run", labels=["billing", "weekly"], externalId="ext-1", priority="HIGH"),
        task_input(title="crm sync", labels=["billing"], description="mentions invoice"),
        task_input("REPORT_GENERATION", {"reportType": "task_summary"}, title="report"),
    ]})

    async def titles(filter_: dict) -> list[str]:
        data = await admin("query($f: TaskFilter) { tasks(filter: $f, orderBy: CREATED_AT_ASC) { nodes { title } } }",
                           {"f": filter_})
        return [n["title"] for n in data["tasks"]["nodes"]]

    assert await titles({"labels": ["billing", "weekly"]}) == ["invoice run"]
    assert await titles({"labels": ["billing"]}) == ["invoice run", "crm sync"]
    assert await titles({"search": "invoice"}) == ["invoice run", "crm sync"]
    assert await titles({"taskType": ["REPORT_GENERATION"]}) == ["report"]
    assert await titles({"externalId": "ext-1"}) == ["invoice run"]
    assert await titles({"priority": ["HIGH"]}) == ["invoice run"]
    assert await titles({"status": ["QUEUED"]}) == []


@pytest.mark.parametrize("order", ["CREATED_AT_DESC", "CREATED_AT_ASC", "PRIORITY_DESC", "UPDATED_AT_DESC"])
async def test_pagination_has_no_duplicates_or_gaps_under_inserts(admin: Caller, order: str) -> None:
    priorities = ["LOW", "NORMAL", "HIGH", "URGENT"]
    await admin(CREATE_TASKS, {"inputs": [task_input(title=f"old-{i}", priority=priorities[i % 4])
                                          for i in range(45)]})
    doc = """query($after: String, $order: TaskOrder!) {
      tasks(first: 10, after: $after, orderBy: $order) { totalCount nodes { id title } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await admin(doc, {"after": after, "order": order}))["tasks"]
        seen += [n["title"] for n in page["nodes"]]
        pages += 1
        # New tasks arrive while the client pages through.
        await admin(CREATE_TASK, {"input": task_input(title=f"new-{pages}", priority="URGENT")})
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    old = [t for t in seen if t.startswith("old-")]
    assert sorted(old) == sorted(f"old-{i}" for i in range(45))
    assert len(seen) == len(set(seen))


async def test_first_outside_1_to_200_is_bad_user_input(admin: Caller) -> None:
    for first in (0, 201):
        body = (await admin.raw(f"{{ tasks(first: {first}) {{ totalCount }} }}")).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = (await admin.raw('{ tasks(after: "garbage") { totalCount } }')).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class _Counter(logging.Handler):
    """Counts statements, but not the live Hub's background reads (they run whenever events are written)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # logged outside the event loop's thread
            task = None
        if task is None or not task.get_name().startswith(HUB_TASK_NAME_PREFIX):
            self.statements += 1


@pytest.fixture
def sql_counter() -> Iterator[_Counter]:
    """Counts the SQL statements Tortoise runs (it logs each one at DEBUG on tortoise.db_client)."""
    log = logging.getLogger("tortoise.db_client")
    counter, level = _Counter(), log.level
    log.addHandler(counter)
    log.setLevel(logging.DEBUG)
    yield counter
    log.removeHandler(counter)
    log.setLevel(level)


async def test_a_page_with_nested_fields_costs_a_constant_number_of_statements(
    admin: Caller, sql_counter: _Counter
) -> None:
    hook = (await admin('mutation { createWebhook(input: {name: "h", url: "http://127.0.0.1:9/h"}) '
                        "{ webhook { id } } }"))["createWebhook"]["webhook"]["id"]
    doc = """{ tasks(first: 100) { nodes { id executions { nodes { id } totalCount } events { id }
               sourceWebhook { id } spawnedFrom { id } } } }"""

    async def cost(n: int) -> int:
        await admin(CREATE_TASKS, {"inputs": [task_input(sourceWebhookId=hook) for _ in range(n)]})
        sql_counter.statements = 0
        data = await admin(doc)
        assert all(node["sourceWebhook"] == {"id": hook} for node in data["tasks"]["nodes"])
        return sql_counter.statements

    small, large = await cost(3), await cost(90)
    assert small == large, f"{small} statements for 3 tasks, {large} for 93"
    assert large <= 8


async def test_query_depth_and_alias_limits(admin: Caller) -> None:
    deep = "{ tasks { nodes { id " + "events { task { " * 8 + "id" + " } }" * 8 + " } } }"
    body = (await admin.raw(deep)).json()
    assert "depth" in body["errors"][0]["message"].lower()
    aliased = "{ " + " ".join(f"a{i}: latestEventId" for i in range(40)) + " }"
    assert (await admin.raw(aliased)).json()["errors"]


async def test_a_body_over_the_limit_is_413(http: httpx.AsyncClient, admin: Caller) -> None:
    response = await http.post("/graphql", content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                               headers={"Authorization": f"Bearer {admin.key}", "Content-Type": "application/json"})
    assert response.status_code == 413


async def test_latest_event_id_grows_with_each_change(admin: Caller) -> None:
    assert (await admin("{ latestEventId }"))["latestEventId"] is None
    task = (await admin(CREATE_TASK, {"input": task_input()}))["createTask"]["task"]
    first = int((await admin("{ latestEventId }"))["latestEventId"])
    await admin(action("executeTask"), {"id": task["id"]})
    assert int((await admin("{ latestEventId }"))["latestEventId"]) > first
    events = (await admin(TASK_BY_ID, {"id": task["id"]}))["task"]["events"]
    assert [e["toStatus"] for e in events] == ["PENDING", "QUEUED"]
    assert events[1]["actor"] == "key:acme-admin" and int(events[1]["id"]) > int(events[0]["id"])


async def test_report_query_counts_in_the_workspace(admin: Caller, other_admin: Caller) -> None:
    await admin(CREATE_TASKS, {"inputs": [task_input(), task_input(), task_input("REPORT_GENERATION",
                                                                                 {"reportType": "task_summary"})]})
    await other_admin(CREATE_TASK, {"input": task_input()})
    doc = "{ report(type: TASK_SUMMARY) { type from to data summary } }"
    report = (await admin(doc))["report"]
    assert report["type"] == "TASK_SUMMARY"
    assert report["data"]["total"] == 3
    assert report["data"]["byType"]["API_CALL"] == 2 and report["data"]["byStatus"]["PENDING"] == 3
    assert len(report["data"]["daily"]) in (7, 8) and report["summary"].strip()
    body = (await admin.raw('{ report(type: TASK_SUMMARY, from: "2030-01-02T00:00:00+00:00", '
                            'to: "2030-01-01T00:00:00+00:00") { type } }')).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
