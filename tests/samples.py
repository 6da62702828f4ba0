"""Valid inputs and GraphQL documents shared by the API tests."""

from __future__ import annotations

from typing import Any

TASK_FIELDS = """
id title status statusReason taskType priority executionType assignedToBot requiresHumanReview
scheduledFor cron cronTimezone labels externalId executionConfig maxRetries timeoutSeconds errorCount
reviewNotes queuedAt createdAt updatedAt
"""

CREATE_TASK = f"""
mutation($input: CreateTaskInput!) {{
  createTask(input: $input) {{ task {{ {TASK_FIELDS} }} userErrors {{ field message code }} }}
}}
"""

CREATE_TASKS = f"""
mutation($inputs: [CreateTaskInput!]!) {{
  createTasks(inputs: $inputs) {{ tasks {{ {TASK_FIELDS} }} userErrors {{ field message code }} }}
}}
"""

CREATE_WEBHOOK = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id name url isActive } secret userErrors { field message code } }
}
"""

TASK_BY_ID = f"query($id: ID!) {{ task(id: $id) {{ {TASK_FIELDS} events {{ id fromStatus toStatus actor reason }} }} }}"

ACTION = """
mutation($id: ID!) {{ {name}(id: $id{extra}) {{ task {{ id status statusReason }} userErrors {{ field message code }} }} }}
"""


def action(name: str, extra: str = "") -> str:
    """The document of a task mutation that takes an id (executeTask, approveTask, ...)."""
    return ACTION.format(name=name, extra=extra)


def valid_configs(webhook_id: str) -> dict[str, dict[str, Any]]:
    """One valid executionConfig per task type (a webhook id for the two that send)."""
    return {
        "API_CALL": {"apiEndpoint": "https://api.example.com/v1/items", "apiMethod": "POST",
                     "authType": "bearer", "bearerToken": "sk-live-PLANTED-SECRET",
                     "headers": {"X-Trace": "1", "X-Api-Key": "hdr-PLANTED-SECRET"}},
        "BROWSER_AUTOMATION": {"steps": [{"action": "navigate", "url": "https://example.com"},
                                         {"action": "click", "selector": "#go"},
                                         {"action": "screenshot", "name": "after"}]},
        "GHL_ACTION": {"ghlAction": "send_sms", "contactId": "c-1", "message": "hello"},
        "NOTIFICATION": {"message": "done", "webhookId": webhook_id},
        "REMINDER": {"message": "call back", "delayMinutes": 30, "webhookId": webhook_id},
        "DATA_EXTRACTION": {"url": "https://example.com", "fields": {"title": {"selector": "h1"}}},
        "REPORT_GENERATION": {"reportType": "task_summary"},
    }


def task_input(task_type: str = "API_CALL", config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"title": f"a {task_type} task", "taskType": task_type}
    if config is not None:
        base["executionConfig"] = config
    elif task_type == "API_CALL":
        base["executionConfig"] = {"apiEndpoint": "https://api.example.com/ping"}
    base.update(fields)
    return base
