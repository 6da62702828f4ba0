"""The dashboard in Debian's Chromium against a real `taskloom serve` on 127.0.0.1: sign-in, live task list,
the new-task form and its field errors, the task detail (executions, screenshots, log, actions), the review
queue, stats, reconnecting after a server restart, and the 390 px layout.

Screenshots of each page go to the folder printed at the end (DASHBOARD_SCREENSHOTS overrides it).
"""

from __future__ import annotations

import re

import httpx
from dashboard_support import (  # noqa: F401 (fixtures imported by name)
    SLOW_S,
    Shots,
    Target,
    TaskloomServer,
    Workspace,
    assert_not_reloaded,
    browser,
    mark_document,
    open_page,
    server,
    shots,
    sign_in,
    signed_in,
    target,
    workspace,
)
from playwright.async_api import Browser, Page, expect

TASK_STATUS = "query($id: ID!) { task(id: $id) { status statusReason } }"


def row(page: Page, task_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#tasks-table tr[data-task-id="{task_id}"]')


async def test_the_page_and_its_assets_are_served_with_security_and_cache_headers(server: TaskloomServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/")
        assert page.status_code == 200 and "Taskloom" in page.text
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert f"connect-src 'self' ws://127.0.0.1:{server.port} wss://127.0.0.1:{server.port}" in csp
        assert "img-src 'self' blob: data:" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-cache"
        assert "<script>" not in page.text and " style=" not in page.text  # nothing inline for the CSP to allow
        script = re.search(r'src="(/static/[0-9a-f]+/js/app\.js)"', page.text)
        assert script, page.text
        asset = await http.get(script.group(1))
        assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        stale = await http.get("/static/000000000000/js/app.js")
        assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
        assert (await http.get("/static/" + script.group(1).split("/")[2] + "/../../api/app.py")).status_code == 404
        again = await http.get("/", headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304


async def test_sign_in_refuses_a_bad_key_and_keeps_the_good_one_out_of_the_url(
    browser: Browser, server: TaskloomServer, workspace: Workspace, shots: Shots
) -> None:
    page, errors = await open_page(browser, server)
    assert "Taskloom" in await page.title()
    await shots.take(page, "sign-in")
    # A bad key is refused with a message and nothing is kept
    await page.get_by_label("API key").fill("tlk_not_a_real_key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#sign-in-error")).to_contain_text("not accepted")
    assert await page.evaluate("sessionStorage.length") == 0
    # The right key signs in (from the keyboard), goes live, and stays out of the URL
    await page.get_by_label("API key").fill(workspace.key)
    await page.get_by_label("API key").press("Enter")
    await expect(page.locator("#connection")).to_have_text("Live")
    assert workspace.key not in page.url
    assert await page.evaluate("sessionStorage.getItem('taskloom.apiKey')") == workspace.key
    await page.get_by_role("link", name="Stats").click()
    await expect(page.locator("#stats .tile").first).to_be_visible()
    assert workspace.key not in page.url
    # Signing out forgets it
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API key")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0
    assert errors.seen == []


async def test_a_task_created_in_the_form_runs_live_in_the_list_and_shows_its_execution(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target, shots: Shots
) -> None:
    page, errors = await signed_in(browser, server, workspace.key)
    await page.get_by_role("link", name="New task").click()
    await mark_document(page)
    # When an API_CALL task is created from the form (run by the bot, calling a slow local endpoint)
    await page.get_by_label("Title").fill("Ping the slow target")
    await page.get_by_label("Type").select_option("API_CALL")
    await page.get_by_label("Config (JSON)").fill(f'{{"apiEndpoint": "{target.url}/slow", "apiMethod": "GET"}}')
    await shots.take(page, "new-task")
    await page.get_by_role("button", name="Create task").click()
    # Then the list shows its row running, then COMPLETED, without a reload
    await expect(page).to_have_url(re.compile(r"#/tasks$"))
    created = page.locator("#tasks-table tr", has_text="Ping the slow target")
    await expect(created).to_have_attribute("data-status", re.compile("^(QUEUED|IN_PROGRESS)$"),
                                            timeout=SLOW_S * 1000)
    await expect(created.locator(".badge")).to_have_text(re.compile("QUEUED|IN_PROGRESS"))
    await expect(created).to_have_attribute("data-status", "COMPLETED")
    await expect(created.locator("td[data-label=Attempts]")).to_have_text("1")
    await assert_not_reloaded(page)
    await shots.take(page, "tasks")
    # And its detail shows the execution and the result
    await created.get_by_role("link").click()
    execution = page.locator(".execution").first
    await expect(execution).to_contain_text("Attempt 1")
    await expect(execution.locator(".badge")).to_have_text("SUCCESS")
    await expect(page.locator("#task-result")).to_contain_text('"slow": true')
    await expect(page.locator("#task-config")).to_contain_text(f"{target.url}/slow")
    await expect(page.locator(".history")).to_contain_text("IN_PROGRESS")
    await expect(page.locator("#action-execute")).to_have_count(0)  # a COMPLETED task cannot run again
    await expect(page.locator("#action-cancel")).to_have_count(0)
    await shots.take(page, "task-detail")
    assert errors.seen == []


async def test_the_servers_validation_errors_are_shown_at_their_field(
    browser: Browser, server: TaskloomServer, workspace: Workspace, shots: Shots
) -> None:
    page, errors = await signed_in(browser, server, workspace.key)
    await page.goto(server.url + "/#/new")
    await page.get_by_label("Title").fill("Bad endpoint")
    await page.get_by_label("Config (JSON)").fill('{"apiEndpoint": "ftp://example.com/file"}')
    await page.get_by_role("button", name="Create task").click()
    config_error = page.locator("#err-new-config")
    await expect(config_error).to_be_visible()
    await expect(config_error).to_contain_text("apiEndpoint:")
    await expect(page.get_by_label("Config (JSON)")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#form-error")).to_be_hidden()
    await shots.take(page, "new-task-validation")
    # A field outside the config: a cron without a bot to run it
    await page.get_by_label("Config (JSON)").fill('{"apiEndpoint": "https://example.com/"}')
    await page.get_by_label("Run automatically (assigned to the bot)").uncheck()
    await page.get_by_label("Cron").fill("*/5 * * * *")
    await page.get_by_role("button", name="Create task").click()
    await expect(page.locator("#err-new-cron")).to_contain_text(re.compile("cron", re.I))
    await expect(config_error).to_be_hidden()
    # JSON that does not parse never leaves the page
    await page.get_by_label("Config (JSON)").fill('{"apiEndpoint": ')
    await page.get_by_role("button", name="Create task").click()
    await expect(config_error).to_contain_text("Not valid JSON")
    tasks = await workspace.gql("{ tasks { totalCount } }")
    assert tasks["tasks"]["totalCount"] == 0
    assert errors.seen == []


async def test_tasks_created_by_another_client_appear_live_as_text(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target
) -> None:
    page, errors = await signed_in(browser, server, workspace.key)
    await expect(page.locator("#tasks-summary")).to_have_text("Page 1 · 0 tasks")
    await mark_document(page)
    # When an integrator creates a task whose title is markup
    title = '<img src=x id="injected"> <b>bold</b>'
    task_id = await workspace.create(title=title, executionConfig={"apiEndpoint": f"{target.url}/ok"})
    # Then it appears as text, and follows the task to COMPLETED
    await expect(row(page, task_id)).to_have_attribute("data-status", "COMPLETED")
    await expect(row(page, task_id).locator(".col-title")).to_have_text(title)
    assert await page.locator("#injected").count() == 0
    await expect(page.locator("#tasks-summary")).to_have_text("Page 1 · 1 task")
    # And filters and search narrow the list
    await page.get_by_label("Status").select_option("FAILED")
    await expect(page.locator("#tasks-summary")).to_have_text("Page 1 · 0 tasks")
    await page.get_by_label("Status").select_option("")
    await page.get_by_label("Search").fill("bold")
    await expect(row(page, task_id)).to_be_visible()
    await page.get_by_label("Search").fill("nothing like it")
    await expect(row(page, task_id)).to_have_count(0)
    await assert_not_reloaded(page)
    assert errors.seen == []


async def test_the_list_pages_through_the_apis_cursors(
    browser: Browser, server: TaskloomServer, workspace: Workspace
) -> None:
    inputs = [{"title": f"bulk {n:02d}", "taskType": "API_CALL", "executionConfig": {"apiEndpoint": "https://x.test/"}}
              for n in range(27)]
    made = await workspace.gql("mutation($i: [CreateTaskInput!]!) { createTasks(inputs: $i) { userErrors { code } } }",
                               {"i": inputs})
    assert made["createTasks"]["userErrors"] == []
    page, errors = await signed_in(browser, server, workspace.key)
    rows = page.locator("#tasks-table tbody tr")
    await expect(page.locator("#tasks-summary")).to_have_text("Page 1 · 27 tasks")
    await expect(rows).to_have_count(25)
    await expect(page.get_by_role("button", name="← Previous")).to_be_disabled()
    await page.get_by_role("button", name="Next →").click()
    await expect(page.locator("#tasks-summary")).to_have_text("Page 2 · 27 tasks")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_role("button", name="Next →")).to_be_disabled()
    page_two = set(await rows.locator(".col-title").all_inner_texts())
    await page.get_by_role("button", name="← Previous").click()
    await expect(rows).to_have_count(25)
    page_one = set(await rows.locator(".col-title").all_inner_texts())
    assert page_one | page_two == {i["title"] for i in inputs} and not page_one & page_two
    assert errors.seen == []


async def test_the_review_queue_approves_and_rejects_in_one_click(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target, shots: Shots
) -> None:
    approve_id = await workspace.create(title="Send the invoice", requiresHumanReview=True,
                                        executionConfig={"apiEndpoint": f"{target.url}/ok"})
    page, errors = await signed_in(browser, server, workspace.key)
    await expect(page.locator("#review-count")).to_have_text("1")
    await page.get_by_role("link", name=re.compile("^Review")).click()
    queue = page.locator("#review-queue")
    await expect(queue.locator(f'[data-task-id="{approve_id}"]')).to_be_visible()
    # A task sent for review elsewhere joins the queue live
    reject_id = await workspace.create(title="Delete the CRM", requiresHumanReview=True,
                                       executionConfig={"apiEndpoint": f"{target.url}/ok"})
    await expect(queue.locator(f'[data-task-id="{reject_id}"]')).to_be_visible()
    await expect(page.locator("#review-count")).to_have_text("2")
    await shots.take(page, "review")
    # Approve: it leaves the queue and runs to COMPLETED, shown live below
    await page.get_by_role("button", name="Approve Send the invoice").click()
    await expect(queue.locator(f'[data-task-id="{approve_id}"]')).to_have_count(0)
    decided = page.locator(f'#review-decided li[data-task-id="{approve_id}"]')
    await expect(decided).to_have_attribute("data-status", "COMPLETED")
    # Reject with a reason
    await page.get_by_label("Reason for rejecting Delete the CRM").fill("too risky")
    await page.get_by_role("button", name="Reject Delete the CRM").click()
    await expect(page.locator(f'#review-decided li[data-task-id="{reject_id}"]')).to_have_attribute(
        "data-status", "CANCELLED")
    await expect(page.locator("#review-count")).to_have_text("")
    rejected = (await workspace.gql(TASK_STATUS, {"id": reject_id}))["task"]
    assert rejected["status"] == "CANCELLED" and rejected["statusReason"].startswith("rejected")
    assert "too risky" in rejected["statusReason"]
    assert errors.seen == []


async def test_the_detail_offers_only_the_actions_the_state_allows(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target
) -> None:
    manual_id = await workspace.create(title="Run me by hand", executionType="MANUAL", assignedToBot=False,
                                       executionConfig={"apiEndpoint": f"{target.url}/ok"})
    review_id = await workspace.create(title="Check me", requiresHumanReview=True,
                                       executionConfig={"apiEndpoint": f"{target.url}/ok"})
    page, errors = await signed_in(browser, server, workspace.key)
    # PENDING: Execute and Cancel, no review
    await page.goto(f"{server.url}/#/tasks/{manual_id}")
    await expect(page.locator(".detail-head .badge")).to_have_text("PENDING")
    await expect(page.locator("#action-execute")).to_be_visible()
    await expect(page.locator("#action-cancel")).to_be_visible()
    await expect(page.locator("#action-approve")).to_have_count(0)
    # Execute: the page follows it to COMPLETED and the buttons go
    await page.locator("#action-execute").click()
    await expect(page.locator(".detail-head .badge")).to_have_text("COMPLETED")
    await expect(page.locator(".execution .badge").first).to_have_text("SUCCESS")
    await expect(page.locator("#action-execute")).to_have_count(0)
    # AWAITING_REVIEW: Approve, Reject with a reason, Cancel; no Execute
    await page.goto(f"{server.url}/#/tasks/{review_id}")
    await expect(page.locator(".detail-head .badge")).to_have_text("AWAITING_REVIEW")
    await expect(page.locator("#action-approve")).to_be_visible()
    await expect(page.locator("#action-execute")).to_have_count(0)
    await page.get_by_label("Reason").fill("duplicate")
    await page.locator("#action-reject").click()
    await expect(page.locator(".detail-head .badge")).to_have_text("CANCELLED")
    await expect(page.locator(".reason")).to_contain_text("duplicate")
    await expect(page.locator("#action-execute")).to_be_visible()  # CANCELLED can run again
    assert errors.seen == []


async def test_screenshots_are_fetched_with_the_key_and_enlarge_and_the_log_is_shown(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target, shots: Shots
) -> None:
    task_id = await workspace.create(title="Snap the target", taskType="BROWSER_AUTOMATION", executionConfig={
        "steps": [{"action": "navigate", "url": f"{target.url}/page"}, {"action": "screenshot", "name": "page"}]})
    await workspace.settled(task_id)
    page, errors = await signed_in(browser, server, workspace.key)
    await page.goto(f"{server.url}/#/tasks/{task_id}")
    await expect(page.locator(".detail-head .badge")).to_have_text("COMPLETED")
    thumb = page.locator(".execution img.thumb").first
    await expect(thumb).to_have_attribute("src", re.compile("^blob:"))
    assert await thumb.evaluate("img => img.complete && img.naturalWidth > 100")
    await expect(page.locator(".steps tbody tr")).to_have_count(2)
    await page.get_by_role("button", name="Show log").first.click()
    await expect(page.locator(".log li").first).not_to_have_text("Waiting…")
    await shots.take(page, "task-detail-browser")
    await page.get_by_role("button", name="Enlarge screenshot").first.click()
    await expect(page.locator("dialog.lightbox img")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("dialog.lightbox")).not_to_be_visible()
    assert errors.seen == []


async def test_a_running_executions_log_is_shown_live(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target
) -> None:
    page, errors = await signed_in(browser, server, workspace.key)
    task_id = await workspace.create(title="Slow call", executionConfig={"apiEndpoint": f"{target.url}/slow"})
    await page.goto(f"{server.url}/#/tasks/{task_id}")
    # While it runs, its execution's log streams in
    running = page.locator('.execution[data-status="RUNNING"]')
    await expect(running.locator("h4")).to_have_text("Live log", timeout=SLOW_S * 1000)
    await expect(running.locator(".log")).to_contain_text("sending")
    # And when it ends, the page shows the outcome and the whole log
    done = page.locator('.execution[data-status="SUCCESS"]')
    await expect(done.locator(".log")).to_contain_text(re.compile(r"-> 200"))
    await expect(done.locator("h4")).to_have_text("Log")
    await expect(page.locator(".detail-head .badge")).to_have_text("COMPLETED")
    assert errors.seen == []


async def test_stats_draws_the_reports_as_charts(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target, shots: Shots
) -> None:
    for n in range(3):
        await workspace.create(title=f"stat {n}", executionConfig={"apiEndpoint": f"{target.url}/ok"})
    await workspace.create(title="stat failing", maxRetries=0,
                           executionConfig={"apiEndpoint": f"{target.url}/missing"})
    page, errors = await signed_in(browser, server, workspace.key)
    await page.get_by_role("link", name="Stats").click()
    tiles = page.locator("#stats .tile")
    await expect(tiles.filter(has_text="Tasks created").locator("dd")).to_have_text("4")
    await expect(tiles.filter(has_text="Success rate").locator("dd")).to_have_text("75%")
    charts = page.locator("#stats figure")
    await expect(charts.filter(has_text="Tasks created per day").locator("svg rect")).not_to_have_count(0)
    await expect(charts.filter(has_text="Success rate by type").locator("svg")).to_have_attribute(
        "aria-label", re.compile("API_CALL 75% of 4"))
    await expect(charts.filter(has_text="p95 duration by type").locator("svg text", has_text="API_CALL")).to_be_visible()
    await expect(page.locator(".top-errors")).to_contain_text("404")
    await shots.take(page, "stats")
    assert errors.seen == []


async def test_after_a_server_restart_the_page_reconnects_and_catches_up(
    browser: Browser, server: TaskloomServer, workspace: Workspace
) -> None:
    from domain.enums import TaskType
    from domain.services.effects import Effects
    from domain.services.task_rules import Capabilities, TaskDraft
    from domain.services.tasks import create_task

    page, errors = await signed_in(browser, server, workspace.key)
    await mark_document(page)
    # When the server goes away, the page says it is reconnecting
    await server.stop()
    await expect(page.locator("#connection")).to_contain_text("Reconnecting")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    # And a task is created meanwhile (straight into the database: no server is running)
    missed = await create_task(workspace.workspace_id, TaskDraft(title="made while you were away",
                                                                 task_type=TaskType.API_CALL,
                                                                 execution_config={"apiEndpoint": "https://x.test/"}),
                               actor="system", effects=Effects(), capabilities=Capabilities())
    # Then once the server is back on the same port, the page is live again and shows the missed task
    await server.start()
    await expect(page.locator("#connection")).to_have_text("Live", timeout=20000)
    await expect(row(page, str(missed.id))).to_have_attribute("data-status", "PENDING")
    await assert_not_reloaded(page)
    assert errors.seen == []


async def test_at_390_px_no_page_overflows_sideways(
    browser: Browser, server: TaskloomServer, workspace: Workspace, target: Target, shots: Shots
) -> None:
    task_id = await workspace.create(title="A task with a rather long title to wrap on a phone screen",
                                     executionConfig={"apiEndpoint": f"{target.url}/ok"})
    await workspace.create(title="Waiting for a human", requiresHumanReview=True,
                           executionConfig={"apiEndpoint": f"{target.url}/ok"})
    page, errors = await signed_in(browser, server, workspace.key, width=390)
    for name, hash_, ready in [
        ("tasks", "#/tasks", f'#tasks-table tr[data-task-id="{task_id}"][data-status="COMPLETED"]'),
        ("task-detail", f"#/tasks/{task_id}", ".execution"),
        ("review", "#/review", ".review-item"),
        ("new-task", "#/new", "#new-config"),
        ("stats", "#/stats", "#stats figure"),
    ]:
        await page.goto(f"{server.url}/{hash_}")
        await expect(page.locator(ready).first).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width} px wide at a 390 px viewport"
        await shots.take(page, f"{name}-390")
    assert errors.seen == []
