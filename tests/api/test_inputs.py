"""`built_directly` builds CreateTaskInput exactly as Strawberry's own conversion does, without its per-field work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from strawberry.types.arguments import convert_argument

from api.graphql.enums import ExecutionType, TaskPriority, TaskType
from api.graphql.inputs import CreateTaskInput
from api.graphql.schema import build_schema

FULL = {
    "title": "t", "description": None, "taskType": TaskType.API_CALL, "executionType": ExecutionType.AUTOMATIC,
    "assignedToBot": True, "requiresHumanReview": False, "priority": TaskPriority.HIGH,
    "scheduledFor": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "cron": "*/5 * * * *",
    "executionConfig": {"apiEndpoint": "http://127.0.0.1/x", "headers": {"a": "b"}}, "maxRetries": 1,
    "timeoutSeconds": 9, "notifyOnComplete": True, "notifyOnFailure": False, "sourceWebhookId": "w1",
    "cronTimezone": "Europe/Paris", "labels": ["a", "b"], "externalId": "e", "idempotencyKey": "k",
}


def _convert(value: dict, *, strawberry_default: bool) -> CreateTaskInput:
    schema = build_schema()
    definition = CreateTaskInput.__strawberry_definition__
    hook = definition.from_input
    if strawberry_default:
        definition.from_input = None
    try:
        return convert_argument(value, CreateTaskInput, schema.schema_converter.scalar_registry, schema.config)
    finally:
        definition.from_input = hook


@pytest.mark.parametrize("value", [FULL, {"title": "only", "taskType": TaskType.REMINDER}], ids=["full", "minimal"])
def test_same_as_strawberrys_conversion(value: dict) -> None:
    assert _convert(value, strawberry_default=False) == _convert(value, strawberry_default=True)


def test_lists_are_copied_and_defaults_are_fresh() -> None:
    labels = ["x"]
    built = _convert({**FULL, "labels": labels}, strawberry_default=False)
    assert built.labels == ["x"] and built.labels is not labels
    first, second = (_convert({"title": "t", "taskType": TaskType.REMINDER}, strawberry_default=False)
                     for _ in range(2))
    first.labels.append("leak")
    assert second.labels == [] and second.execution_config == {}
