"""`/metrics` on the served app: HTTP requests by route template, GraphQL operations and errors, open
subscriptions — read over real HTTP before and after, so each test sees its own deltas."""

from __future__ import annotations

import asyncio

from conftest import Caller, RunningApp
from metrics_support import sample, scrape
from ws_client import WsClient

EVENTS = "subscription { taskEvents { id } }"


async def test_a_query_and_an_error_move_the_graphql_counters(app_server: RunningApp, admin: Caller) -> None:
    url = app_server.url + "/metrics"
    before = await scrape(url)
    await admin("{ tasks(first: 1) { totalCount } }")
    response = await admin.raw("{ noSuchField }")
    assert response.json()["errors"]
    after = await scrape(url)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("taskloom_graphql_requests_total", operation_type="query") == 2
    assert moved("taskloom_graphql_errors_total", operation_type="unknown", code="GRAPHQL") \
        + moved("taskloom_graphql_errors_total", operation_type="query", code="GRAPHQL") == 1
    assert moved("taskloom_http_requests_total", route="/graphql", method="POST", status="2xx") == 2
    assert moved("taskloom_http_request_duration_seconds_count", route="/graphql", method="POST") == 2


async def test_refused_and_unknown_requests_count_under_a_template_not_their_path(app_server: RunningApp,
                                                                                  http) -> None:
    url = app_server.url + "/metrics"
    before = await scrape(url)
    assert (await http.post("/graphql", json={"query": "{ latestEventId }"})).status_code == 401
    assert (await http.get("/no/such/path/123")).status_code == 404
    after = await scrape(url)
    assert sample(after, "taskloom_http_requests_total", route="/graphql", method="POST", status="4xx") \
        - sample(before, "taskloom_http_requests_total", route="/graphql", method="POST", status="4xx") == 1
    assert sample(after, "taskloom_http_requests_total", route="unmatched", status="4xx") \
        - sample(before, "taskloom_http_requests_total", route="unmatched", status="4xx") == 1
    assert "/no/such/path" not in after


async def test_an_open_subscription_moves_the_gauge(app_server: RunningApp, admin: Caller) -> None:
    url = app_server.url + "/metrics"
    idle = sample(await scrape(url), "taskloom_subscriptions_open")
    client = await WsClient.connect(app_server.url, admin.key)
    try:
        await client.acked()
        await client.subscribe("1", EVENTS)
        for _ in range(100):  # the subscription starts once the server has read the message
            if sample(await scrape(url), "taskloom_subscriptions_open") == idle + 1:
                break
            await asyncio.sleep(0.02)
        assert sample(await scrape(url), "taskloom_subscriptions_open") == idle + 1
    finally:
        await client.close()
    for _ in range(100):
        if sample(await scrape(url), "taskloom_subscriptions_open") == idle:
            break
        await asyncio.sleep(0.02)
    assert sample(await scrape(url), "taskloom_subscriptions_open") == idle
