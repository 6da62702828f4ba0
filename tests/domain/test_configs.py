"""executionConfig models: what each task type accepts, the error paths it answers, and secret masking."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from domain.configs import (
    CONFIG_MODELS,
    SECRET_MASK,
    ApiCallConfig,
    mask_secrets,
    merge_secrets,
    normalized,
    validate_config,
)
from domain.enums import TaskType
from domain.errors import ConfigInvalid, FieldError

API = TaskType.API_CALL
BROWSER = TaskType.BROWSER_AUTOMATION
EXTRACT = TaskType.DATA_EXTRACTION
GHL = TaskType.GHL_ACTION
NOTIFY = TaskType.NOTIFICATION
REMIND = TaskType.REMINDER
REPORT = TaskType.REPORT_GENERATION

URL = "https://example.com/api"
SCHEMA = {"type": "object", "properties": {"price": {"type": "number"}}}


def errors_of(task_type: TaskType, raw: object, **options: bool) -> list[FieldError]:
    with pytest.raises(ConfigInvalid) as caught:
        validate_config(task_type, raw, **options)
    return caught.value.errors


# ---- valid configs ---------------------------------------------------------------------------------------

VALID = [
    pytest.param(API, {"apiEndpoint": URL}, id="API_CALL minimal"),
    pytest.param(
        API,
        {
            "apiEndpoint": "http://Example.com:8080/v1/items?x=1",
            "apiMethod": "POST",
            "headers": {"Content-Type": "application/json", "X-Trace": "abc"},
            "query": {"page": "2"},
            "body": {"name": "x", "tags": ["a", None], "n": 1.5, "ok": True},
            "authType": "api_key",
            "apiKey": "k-123",
            "apiKeyHeader": "X-Custom-Key",
            "timeoutMs": 5000,
            "expectStatus": [200, 201],
        },
        id="API_CALL full",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "body": "raw text", "authType": "bearer", "bearerToken": "t"},
        id="API_CALL string body",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "apiMethod": "DELETE", "authType": "basic", "username": "u", "password": "p"},
        id="API_CALL basic auth",
    ),
    pytest.param(BROWSER, {"steps": [{"action": "navigate", "url": URL}]}, id="BROWSER_AUTOMATION minimal"),
    pytest.param(
        BROWSER,
        {
            "steps": [
                {"action": "navigate", "url": URL, "timeoutMs": 20000},
                {"action": "click", "selector": "#login"},
                {"action": "type", "selector": "#user", "text": "ann"},
                {"action": "press", "key": "Enter"},
                {"action": "select", "selector": "select#size", "value": "XL"},
                {"action": "wait", "selector": ".done"},
                {"action": "wait", "ms": 500},
                {"action": "extract", "selector": "a", "name": "links", "attribute": "href", "all": True},
                {"action": "screenshot", "name": "final", "fullPage": True},
            ],
            "startUrl": URL,
            "viewport": {"width": 1280, "height": 720},
            "remoteBrowser": True,
            "timeoutMs": 10000,
        },
        id="BROWSER_AUTOMATION full",
    ),
    pytest.param(
        EXTRACT, {"url": URL, "fields": {"title": {"selector": "h1"}}}, id="DATA_EXTRACTION minimal"
    ),
    pytest.param(
        EXTRACT,
        {
            "url": URL,
            "fields": {
                "title": {"selector": "h1"},
                "links": {"selector": "a", "attribute": "href", "all": True},
            },
            "waitFor": "main",
            "remoteBrowser": True,
        },
        id="DATA_EXTRACTION full selectors",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "instruction": "the price", "schema": SCHEMA, "waitFor": "#price"},
        id="DATA_EXTRACTION LLM",
    ),
    pytest.param(GHL, {"ghlAction": "add_contact", "email": "a@b.co"}, id="GHL_ACTION minimal"),
    pytest.param(
        GHL,
        {
            "ghlAction": "create_opportunity",
            "pipelineId": "p1",
            "pipelineStageId": "s1",
            "name": "Deal",
            "status": "open",
            "contactId": "c1",
            "monetaryValue": 220,
            "locationId": "loc1",
        },
        id="GHL_ACTION full",
    ),
    pytest.param(GHL, {"ghlAction": "add_tag", "contactId": "c1", "tags": ["vip"]}, id="GHL_ACTION add_tag"),
    pytest.param(
        GHL, {"ghlAction": "add_note", "contactId": "c1", "body": "called"}, id="GHL_ACTION add_note"
    ),
    pytest.param(
        GHL, {"ghlAction": "send_sms", "contactId": "c1", "message": "hi"}, id="GHL_ACTION send_sms"
    ),
    pytest.param(GHL, {"ghlAction": "upsert_contact", "phone": "+1 888"}, id="GHL_ACTION upsert_contact"),
    pytest.param(
        GHL, {"ghlAction": "update_contact", "contactId": "c1", "lastName": "Deo"}, id="GHL_ACTION update"
    ),
    pytest.param(NOTIFY, {"message": "hello"}, id="NOTIFICATION minimal"),
    pytest.param(
        NOTIFY,
        {"message": "hello", "recipient": "ops", "subject": "Hi", "webhookId": "w1"},
        id="NOTIFICATION full",
    ),
    pytest.param(REMIND, {"message": "call back", "delayMinutes": 0}, id="REMINDER minimal"),
    pytest.param(
        REMIND,
        {
            "message": "call back",
            "remindAt": "2026-05-01T09:00:00+02:00",
            "recipient": "a",
            "subject": "s",
            "webhookId": "w",
        },
        id="REMINDER full",
    ),
    pytest.param(REMIND, {"message": "m", "remindAt": "2026-05-01T09:00:00Z"}, id="REMINDER Z offset"),
    pytest.param(REPORT, {"reportType": "task_summary"}, id="REPORT_GENERATION minimal"),
    pytest.param(
        REPORT,
        {
            "reportType": "webhook_activity",
            "dateFrom": "2026-04-01T00:00:00+00:00",
            "dateTo": "2026-04-08T00:00:00-05:00",
            "notify": {"webhookId": "w1", "recipient": "boss"},
            "format": "json",
        },
        id="REPORT_GENERATION full",
    ),
]


@pytest.mark.parametrize(("task_type", "raw"), VALID)
def test_valid_config_round_trips_through_json(task_type: TaskType, raw: dict[str, Any]) -> None:
    # Given a valid config, validated and normalized as the API stores it
    model = validate_config(task_type, raw)
    stored = json.loads(json.dumps(normalized(model)))

    # When it is read back
    again = validate_config(task_type, stored)

    # Then it is the same config, and every key the user gave is stored under the same name
    assert again == model
    assert normalized(again) == stored
    assert set(raw) <= set(stored)


def test_config_models_cover_every_task_type() -> None:
    assert set(CONFIG_MODELS) == set(TaskType)


def test_normalized_fills_in_defaults_leaves_out_unset_keys_and_keeps_the_url_as_given() -> None:
    model = validate_config(API, {"apiEndpoint": "https://Example.com"})

    assert normalized(model) == {
        "apiEndpoint": "https://Example.com",
        "apiMethod": "GET",
        "headers": {},
        "query": {},
        "authType": "none",
        "apiKeyHeader": "X-API-Key",
        "timeoutMs": 30000,
    }


@pytest.mark.parametrize(
    ("task_type", "raw", "expected"),
    [
        pytest.param(
            BROWSER,
            {"steps": [{"action": "click", "selector": "a"}]},
            {"timeoutMs": 15000, "remoteBrowser": False},
            id="browser",
        ),
        pytest.param(REPORT, {"reportType": "execution_stats"}, {"format": "markdown"}, id="report"),
        pytest.param(
            EXTRACT,
            {"url": URL, "fields": {"t": {"selector": "h1"}}},
            {"remoteBrowser": False},
            id="extraction",
        ),
    ],
)
def test_normalized_fills_in_each_types_defaults(
    task_type: TaskType, raw: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert normalized(validate_config(task_type, raw)).items() >= expected.items()


def test_normalized_keeps_nulls_inside_a_json_body() -> None:
    model = validate_config(API, {"apiEndpoint": URL, "body": {"a": None, "b": [None]}})

    assert normalized(model)["body"] == {"a": None, "b": [None]}


def test_normalized_writes_datetimes_as_iso_strings_with_their_offset() -> None:
    model = validate_config(REMIND, {"message": "m", "remindAt": "2026-05-01T09:00:00+02:00"})

    assert normalized(model)["remindAt"] == "2026-05-01T09:00:00+02:00"


def test_config_models_are_frozen() -> None:
    model = validate_config(API, {"apiEndpoint": URL})

    with pytest.raises(ValidationError):
        model.api_method = "POST"  # type: ignore[misc]
    assert isinstance(model, ApiCallConfig)


# ---- invalid configs -------------------------------------------------------------------------------------

INVALID = [
    # API_CALL
    pytest.param(API, {}, ("apiEndpoint",), id="API_CALL missing apiEndpoint"),
    pytest.param(API, {"apiEndpoint": "ftp://x"}, ("apiEndpoint",), id="API_CALL ftp URL"),
    pytest.param(API, {"apiEndpoint": "not a url"}, ("apiEndpoint",), id="API_CALL not a URL"),
    pytest.param(API, {"apiEndpoint": "http:/x"}, ("apiEndpoint",), id="API_CALL URL without host"),
    pytest.param(
        API, {"apiEndpoint": "https://exa mple.com"}, ("apiEndpoint",), id="API_CALL URL with space"
    ),
    pytest.param(API, {"apiEndpoint": "http://a:99999/"}, ("apiEndpoint",), id="API_CALL URL bad port"),
    pytest.param(API, {"apiEndpoint": URL, "apiMethod": "FETCH"}, ("apiMethod",), id="API_CALL bad method"),
    pytest.param(
        API, {"apiEndpoint": URL, "apiMethod": "get"}, ("apiMethod",), id="API_CALL lower-case method"
    ),
    pytest.param(API, {"apiEndpoint": URL, "authType": "oauth"}, ("authType",), id="API_CALL bad authType"),
    pytest.param(
        API, {"apiEndpoint": URL, "authType": "bearer"}, ("bearerToken",), id="API_CALL bearer no token"
    ),
    pytest.param(API, {"apiEndpoint": URL, "authType": "api_key"}, ("apiKey",), id="API_CALL api_key no key"),
    pytest.param(
        API,
        {"apiEndpoint": URL, "authType": "basic", "password": "p"},
        ("username",),
        id="API_CALL basic no user",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "authType": "basic", "username": "u"},
        ("password",),
        id="API_CALL basic no password",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "headers": {"X-N": 1}},
        ("headers", "X-N"),
        id="API_CALL header not a string",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "headers": {"Bad Name": "v"}},
        ("headers", "Bad Name"),
        id="API_CALL bad header name",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "headers": {"X-A": "a\r\nX-B: b"}},
        ("headers", "X-A"),
        id="API_CALL header injection",
    ),
    pytest.param(
        API, {"apiEndpoint": URL, "query": {"q": ["a"]}}, ("query", "q"), id="API_CALL query not a string"
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "expectStatus": [200, 99]},
        ("expectStatus", "1"),
        id="API_CALL status below 100",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "expectStatus": [600]},
        ("expectStatus", "0"),
        id="API_CALL status above 599",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "expectStatus": ["200"]},
        ("expectStatus", "0"),
        id="API_CALL status a string",
    ),
    pytest.param(
        API, {"apiEndpoint": URL, "expectStatus": []}, ("expectStatus",), id="API_CALL empty expectStatus"
    ),
    pytest.param(API, {"apiEndpoint": URL, "timeoutMs": 0}, ("timeoutMs",), id="API_CALL zero timeout"),
    pytest.param(
        API, {"apiEndpoint": URL, "timeoutMs": 600_001}, ("timeoutMs",), id="API_CALL timeout over cap"
    ),
    pytest.param(
        API, {"apiEndpoint": URL, "timeoutMs": "5000"}, ("timeoutMs",), id="API_CALL timeout a string"
    ),
    pytest.param(API, {"apiEndpoint": URL, "foo": 1}, ("foo",), id="API_CALL unknown key"),
    pytest.param(
        API, {"api_endpoint": URL, "apiEndpoint": URL}, ("api_endpoint",), id="API_CALL snake_case key"
    ),
    # BROWSER_AUTOMATION
    pytest.param(BROWSER, {}, ("steps",), id="BROWSER_AUTOMATION missing steps"),
    pytest.param(BROWSER, {"steps": []}, ("steps",), id="BROWSER_AUTOMATION no steps"),
    pytest.param(
        BROWSER, {"steps": [{"action": "jump"}]}, ("steps", "0", "action"), id="BROWSER_AUTOMATION bad action"
    ),
    pytest.param(
        BROWSER, {"steps": [{"selector": "a"}]}, ("steps", "0", "action"), id="BROWSER_AUTOMATION no action"
    ),
    pytest.param(BROWSER, {"steps": ["click"]}, ("steps", "0"), id="BROWSER_AUTOMATION step not an object"),
    pytest.param(
        BROWSER,
        {
            "steps": [
                {"action": "navigate", "url": URL},
                {"action": "click", "selector": "a"},
                {"action": "click"},
            ]
        },
        ("steps", "2", "selector"),
        id="BROWSER_AUTOMATION click without selector",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "type", "selector": "#a"}]},
        ("steps", "0", "text"),
        id="BROWSER_AUTOMATION type without text",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "extract", "selector": "a"}]},
        ("steps", "0", "name"),
        id="BROWSER_AUTOMATION extract without name",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "wait"}]},
        ("steps", "0", "selector"),
        id="BROWSER_AUTOMATION wait without target",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "navigate"}]},
        ("steps", "0", "url"),
        id="BROWSER_AUTOMATION navigate without url",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "navigate", "url": "ftp://x"}]},
        ("steps", "0", "url"),
        id="BROWSER_AUTOMATION navigate ftp",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "select", "selector": "s"}]},
        ("steps", "0", "value"),
        id="BROWSER_AUTOMATION select without value",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "press"}]},
        ("steps", "0", "key"),
        id="BROWSER_AUTOMATION press without key",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "click", "selector": "a", "text": "x"}]},
        ("steps", "0", "text"),
        id="BROWSER_AUTOMATION unknown step key",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "click", "selector": "a", "timeoutMs": -1}]},
        ("steps", "0", "timeoutMs"),
        id="BROWSER_AUTOMATION bad step timeout",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "press", "key": "A"}], "viewport": {"width": 800}},
        ("viewport", "height"),
        id="BROWSER_AUTOMATION viewport without height",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "press", "key": "A"}], "startUrl": "nope"},
        ("startUrl",),
        id="BROWSER_AUTOMATION bad startUrl",
    ),
    pytest.param(
        BROWSER,
        {"steps": [{"action": "press", "key": "A"}], "remoteBrowser": "yes"},
        ("remoteBrowser",),
        id="BROWSER_AUTOMATION remoteBrowser not a bool",
    ),
    # DATA_EXTRACTION
    pytest.param(EXTRACT, {"fields": {"t": {"selector": "h1"}}}, ("url",), id="DATA_EXTRACTION missing url"),
    pytest.param(EXTRACT, {"url": URL}, ("fields",), id="DATA_EXTRACTION nothing to extract"),
    pytest.param(EXTRACT, {"url": URL, "fields": {}}, ("fields",), id="DATA_EXTRACTION empty fields"),
    pytest.param(
        EXTRACT,
        {"url": URL, "fields": {"t": {}}},
        ("fields", "t", "selector"),
        id="DATA_EXTRACTION field without selector",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "fields": {"t": {"selector": "h1"}}, "instruction": "x", "schema": SCHEMA},
        ("fields",),
        id="DATA_EXTRACTION both modes",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "instruction": "the price"},
        ("schema",),
        id="DATA_EXTRACTION instruction without schema",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "schema": SCHEMA},
        ("instruction",),
        id="DATA_EXTRACTION schema without instruction",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "instruction": "x", "schema": {"title": "t"}},
        ("schema",),
        id="DATA_EXTRACTION schema without type",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "instruction": "x", "schema": {"type": "thing"}},
        ("schema",),
        id="DATA_EXTRACTION schema bad type",
    ),
    pytest.param(
        EXTRACT,
        {"url": URL, "instruction": "x", "schema": "object"},
        ("schema",),
        id="DATA_EXTRACTION schema not an object",
    ),
    # GHL_ACTION
    pytest.param(GHL, {}, ("ghlAction",), id="GHL_ACTION missing action"),
    pytest.param(GHL, {"ghlAction": "delete_contact"}, ("ghlAction",), id="GHL_ACTION bad action"),
    pytest.param(
        GHL,
        {"ghlAction": "add_contact", "lastName": "x"},
        ("email",),
        id="GHL_ACTION add_contact no identity",
    ),
    pytest.param(
        GHL,
        {"ghlAction": "update_contact", "email": "a@b.co"},
        ("contactId",),
        id="GHL_ACTION update no contactId",
    ),
    pytest.param(
        GHL,
        {"ghlAction": "upsert_contact", "firstName": "Ann"},
        ("email",),
        id="GHL_ACTION upsert no email or phone",
    ),
    pytest.param(GHL, {"ghlAction": "add_tag", "contactId": "c"}, ("tags",), id="GHL_ACTION add_tag no tags"),
    pytest.param(
        GHL,
        {"ghlAction": "remove_tag", "contactId": "c", "tags": []},
        ("tags",),
        id="GHL_ACTION remove_tag empty tags",
    ),
    pytest.param(
        GHL, {"ghlAction": "add_tag", "tags": ["x"]}, ("contactId",), id="GHL_ACTION add_tag no contactId"
    ),
    pytest.param(
        GHL, {"ghlAction": "add_note", "contactId": "c"}, ("body",), id="GHL_ACTION add_note no body"
    ),
    pytest.param(
        GHL, {"ghlAction": "send_sms", "contactId": "c"}, ("message",), id="GHL_ACTION send_sms no message"
    ),
    pytest.param(
        GHL,
        {"ghlAction": "create_opportunity", "pipelineId": "p", "name": "n", "status": "open"},
        ("contactId",),
        id="GHL_ACTION opportunity no contactId",
    ),
    pytest.param(
        GHL,
        {
            "ghlAction": "create_opportunity",
            "pipelineId": "p",
            "name": "n",
            "status": "closed",
            "contactId": "c",
        },
        ("status",),
        id="GHL_ACTION opportunity bad status",
    ),
    pytest.param(
        GHL,
        {"ghlAction": "add_note", "contactId": "c", "body": "b", "note": "x"},
        ("note",),
        id="GHL_ACTION unknown key",
    ),
    # NOTIFICATION
    pytest.param(NOTIFY, {}, ("message",), id="NOTIFICATION missing message"),
    pytest.param(NOTIFY, {"message": "   "}, ("message",), id="NOTIFICATION blank message"),
    pytest.param(NOTIFY, {"message": "m", "webhook": "w"}, ("webhook",), id="NOTIFICATION unknown key"),
    # REMINDER
    pytest.param(REMIND, {"message": "m"}, ("remindAt",), id="REMINDER no time"),
    pytest.param(REMIND, {"remindAt": "2026-05-01T09:00:00Z"}, ("message",), id="REMINDER missing message"),
    pytest.param(
        REMIND,
        {"message": "m", "remindAt": "2026-05-01T09:00:00"},
        ("remindAt",),
        id="REMINDER naive datetime",
    ),
    pytest.param(REMIND, {"message": "m", "remindAt": "soon"}, ("remindAt",), id="REMINDER not a datetime"),
    pytest.param(
        REMIND,
        {"message": "m", "remindAt": "2026-05-01T09:00:00Z", "delayMinutes": 5},
        ("delayMinutes",),
        id="REMINDER both times",
    ),
    pytest.param(
        REMIND, {"message": "m", "delayMinutes": -1}, ("delayMinutes",), id="REMINDER negative delay"
    ),
    pytest.param(
        REMIND, {"message": "m", "delayMinutes": 1.5}, ("delayMinutes",), id="REMINDER fractional delay"
    ),
    # REPORT_GENERATION
    pytest.param(REPORT, {}, ("reportType",), id="REPORT_GENERATION missing reportType"),
    pytest.param(
        REPORT, {"reportType": "TASK_SUMMARY"}, ("reportType",), id="REPORT_GENERATION upper-case reportType"
    ),
    pytest.param(
        REPORT,
        {"reportType": "task_summary", "format": "pdf"},
        ("format",),
        id="REPORT_GENERATION bad format",
    ),
    pytest.param(
        REPORT,
        {"reportType": "task_summary", "dateFrom": "2026-04-01T00:00:00"},
        ("dateFrom",),
        id="REPORT_GENERATION naive dateFrom",
    ),
    pytest.param(
        REPORT,
        {"reportType": "task_summary", "dateTo": "2026-04-01T00:00:00"},
        ("dateTo",),
        id="REPORT_GENERATION naive dateTo",
    ),
    pytest.param(
        REPORT,
        {"reportType": "task_summary", "dateFrom": "2026-04-08T00:00:00Z", "dateTo": "2026-04-01T00:00:00Z"},
        ("dateTo",),
        id="REPORT_GENERATION backwards range",
    ),
    pytest.param(
        REPORT,
        {"reportType": "task_summary", "notify": {"url": URL}},
        ("notify", "url"),
        id="REPORT_GENERATION unknown notify key",
    ),
]


@pytest.mark.parametrize(("task_type", "raw", "path"), INVALID)
def test_invalid_config_is_reported_at_its_path(
    task_type: TaskType, raw: dict[str, Any], path: tuple[str, ...]
) -> None:
    problems = errors_of(task_type, raw)

    assert [p.path for p in problems] == [path]
    assert all(p.message for p in problems)


@pytest.mark.parametrize("task_type", list(TaskType))
@pytest.mark.parametrize("raw", [None, [], "x", 3], ids=["null", "list", "string", "number"])
def test_config_that_is_not_an_object_is_reported_at_the_root(task_type: TaskType, raw: object) -> None:
    problems = errors_of(task_type, raw)

    assert [p.path for p in problems] == [()]
    assert "must be a JSON object" in problems[0].message


def test_each_problem_is_one_field_error() -> None:
    problems = errors_of(API, {"apiEndpoint": "ftp://x", "apiMethod": "FETCH", "foo": 1, "timeoutMs": 0})

    assert sorted(p.path for p in problems) == [("apiEndpoint",), ("apiMethod",), ("foo",), ("timeoutMs",)]


@pytest.mark.parametrize(
    ("task_type", "raw", "expected"),
    [
        pytest.param(
            API,
            {"apiEndpoint": URL, "foo": 1},
            "unknown key 'foo' (allowed: apiEndpoint, apiMethod, headers, query, body, authType, "
            "bearerToken, apiKey, apiKeyHeader, username, password, timeoutMs, expectStatus)",
            id="unknown key lists the allowed ones",
        ),
        pytest.param(
            BROWSER,
            {"steps": [{"action": "click", "selector": "a", "text": "x"}]},
            "unknown key 'text' (allowed: action, selector, timeoutMs)",
            id="unknown step key lists that action's keys",
        ),
        pytest.param(
            API,
            {"apiEndpoint": URL, "apiMethod": "FETCH"},
            "must be one of GET, POST, PUT, PATCH or DELETE (got 'FETCH')",
            id="bad enum",
        ),
        pytest.param(
            API,
            {"apiEndpoint": "ftp://x"},
            "must be an http or https URL, e.g. https://example.com/path (got 'ftp://x')",
            id="bad URL",
        ),
        pytest.param(
            REMIND,
            {"message": "m", "remindAt": "2026-05-01T09:00:00"},
            "needs a UTC offset",
            id="naive datetime",
        ),
        pytest.param(
            API,
            {"apiEndpoint": URL, "authType": "bearer"},
            "authType 'bearer' needs 'bearerToken'",
            id="auth rule",
        ),
        pytest.param(
            BROWSER,
            {"steps": [{"action": "jump"}]},
            "unknown action 'jump' "
            "(allowed: navigate, click, type, extract, wait, screenshot, select, press)",
            id="bad action",
        ),
        pytest.param(API, {}, "'apiEndpoint' is required", id="missing key"),
        pytest.param(
            GHL,
            {"ghlAction": "add_note", "contactId": "c"},
            "ghlAction 'add_note' needs 'body'",
            id="GHL rule",
        ),
    ],
)
def test_error_messages_say_what_is_wrong(task_type: TaskType, raw: dict[str, Any], expected: str) -> None:
    (problem,) = errors_of(task_type, raw)

    assert expected in problem.message


def test_error_message_never_echoes_a_secret() -> None:
    (problem,) = errors_of(API, {"apiEndpoint": URL, "bearerToken": 987654321})

    assert problem.path == ("bearerToken",)
    assert "987654321" not in problem.message


def test_llm_extraction_without_an_llm_is_invalid() -> None:
    raw = {"url": URL, "instruction": "the price", "schema": SCHEMA}

    problems = errors_of(EXTRACT, raw, llm_configured=False)

    assert [p.path for p in problems] == [("instruction",)]
    assert "TASKLOOM_LLM_BASE_URL" in problems[0].message


def test_selector_extraction_needs_no_llm() -> None:
    validate_config(EXTRACT, {"url": URL, "fields": {"t": {"selector": "h1"}}}, llm_configured=False)


def test_ghl_action_without_a_ghl_key_is_invalid() -> None:
    problems = errors_of(GHL, {"ghlAction": "add_contact", "email": "a@b.co"}, ghl_configured=False)

    assert [p.path for p in problems] == [("ghlAction",)]
    assert "TASKLOOM_GHL_API_KEY" in problems[0].message


def test_missing_setting_is_reported_with_the_configs_own_problems() -> None:
    problems = errors_of(GHL, {"ghlAction": "add_tag"}, ghl_configured=False)

    assert [p.path for p in problems] == [("ghlAction",), ("contactId",)]


# ---- secrets ----------------------------------------------------------------------------------------------

MASKING = [
    pytest.param(API, {"bearerToken": "t"}, {"bearerToken": SECRET_MASK}, id="bearerToken"),
    pytest.param(API, {"apiKey": "k"}, {"apiKey": SECRET_MASK}, id="apiKey"),
    pytest.param(
        API, {"username": "u", "password": "p"}, {"username": "u", "password": SECRET_MASK}, id="password"
    ),
    pytest.param(API, {"bearerToken": None}, {"bearerToken": None}, id="null secret stays null"),
    pytest.param(
        API,
        {
            "headers": {
                "Authorization": "Bearer t",
                "proxy-authorization": "Basic x",
                "Cookie": "a=1",
                "Set-Cookie": "b=2",
                "X-API-Key": "k",
                "X-Auth-Token": "t",
                "X-Client-Secret": "s",
                "X-Apikey-Id": "a",
                "X-Refresh-Token-Id": "r",
                "X-Password-Hint": "p",
                "Content-Type": "application/json",
                "Accept": "*/*",
            }
        },
        {
            "headers": {
                "Authorization": SECRET_MASK,
                "proxy-authorization": SECRET_MASK,
                "Cookie": SECRET_MASK,
                "Set-Cookie": SECRET_MASK,
                "X-API-Key": SECRET_MASK,
                "X-Auth-Token": SECRET_MASK,
                "X-Client-Secret": SECRET_MASK,
                "X-Apikey-Id": SECRET_MASK,
                "X-Refresh-Token-Id": SECRET_MASK,
                "X-Password-Hint": SECRET_MASK,
                "Content-Type": "application/json",
                "Accept": "*/*",
            }
        },
        id="headers",
    ),
    pytest.param(
        API,
        {"apiKeyHeader": "X-Shop", "headers": {"X-Shop": "k", "X-Other": "o"}},
        {"apiKeyHeader": "X-Shop", "headers": {"X-Shop": SECRET_MASK, "X-Other": "o"}},
        id="header named by apiKeyHeader",
    ),
    pytest.param(
        API,
        {
            "query": {
                "access_token": "t",
                "api_key": "k",
                "apiKey": "k",
                "key": "k",
                "client_secret": "s",
                "password": "p",
                "X-Amz-Signature": "sig",
                "sig": "s",
                "page": "2",
                "keyword": "shoes",
            }
        },
        {
            "query": {
                "access_token": SECRET_MASK,
                "api_key": SECRET_MASK,
                "apiKey": SECRET_MASK,
                "key": SECRET_MASK,
                "client_secret": SECRET_MASK,
                "password": SECRET_MASK,
                "X-Amz-Signature": SECRET_MASK,
                "sig": SECRET_MASK,
                "page": "2",
                "keyword": "shoes",
            }
        },
        id="query",
    ),
    pytest.param(
        BROWSER,
        {
            "steps": [
                {"action": "navigate", "headers": {"Authorization": "x", "Accept": "a"}},
                {"action": "press", "key": "Enter"},
            ]
        },
        {
            "steps": [
                {"action": "navigate", "headers": {"Authorization": SECRET_MASK, "Accept": "a"}},
                {"action": "press", "key": "Enter"},
            ]
        },
        id="nested headers, keyboard key untouched",
    ),
    pytest.param(
        API,
        {"body": {"login": {"user": "u", "password": "p", "headers": {"Cookie": "c"}}}},
        {"body": {"login": {"user": "u", "password": SECRET_MASK, "headers": {"Cookie": SECRET_MASK}}}},
        id="nested in a body",
    ),
    pytest.param(
        NOTIFY,
        {"message": "m", "webhookSecret": "s", "clientSecret": "s", "refreshToken": "r", "maxTokens": 5},
        {
            "message": "m",
            "webhookSecret": SECRET_MASK,
            "clientSecret": SECRET_MASK,
            "refreshToken": SECRET_MASK,
            "maxTokens": 5,
        },
        id="future secret keys",
    ),
    pytest.param(
        API,
        {"apiEndpoint": URL, "apiKeyHeader": "X-API-Key", "authType": "api_key"},
        {"apiEndpoint": URL, "apiKeyHeader": "X-API-Key", "authType": "api_key"},
        id="no secrets",
    ),
]


@pytest.mark.parametrize(("task_type", "config", "expected"), MASKING)
def test_mask_secrets_hides_every_secret_and_nothing_else(
    task_type: TaskType, config: dict[str, Any], expected: dict[str, Any]
) -> None:
    original = copy.deepcopy(config)

    assert mask_secrets(task_type, config) == expected
    assert config == original


def test_masked_config_merged_back_is_the_stored_one() -> None:
    stored = normalized(
        validate_config(
            API,
            {
                "apiEndpoint": URL,
                "headers": {"Authorization": "Bearer x", "Accept": "a"},
                "query": {"token": "q"},
                "authType": "basic",
                "username": "u",
                "password": "p",
            },
        )
    )

    assert merge_secrets(API, mask_secrets(API, stored), stored) == stored


MERGING = [
    pytest.param(
        {"password": SECRET_MASK, "username": "v"},
        {"password": "old", "username": "u"},
        {"password": "old", "username": "v"},
        id="mask keeps the stored secret",
    ),
    pytest.param({"password": "new"}, {"password": "old"}, {"password": "new"}, id="new value replaces it"),
    pytest.param(
        {"username": "u"}, {"username": "u", "password": "old"}, {"username": "u"}, id="left out is removed"
    ),
    pytest.param(
        {"password": SECRET_MASK}, {}, {"password": SECRET_MASK}, id="mask with nothing stored stays"
    ),
    pytest.param(
        {"message": SECRET_MASK},
        {"message": "hi"},
        {"message": SECRET_MASK},
        id="mask at a non-secret key is a value",
    ),
    pytest.param(
        {"headers": {"authorization": SECRET_MASK, "X-Api-Key": "new"}},
        {"headers": {"Authorization": "Bearer old", "X-API-Key": "old"}},
        {"headers": {"authorization": "Bearer old", "X-Api-Key": "new"}},
        id="header names match case-insensitively",
    ),
    pytest.param(
        {"query": {"api_key": SECRET_MASK, "page": "3"}},
        {"query": {"api_key": "k", "page": "2"}},
        {"query": {"api_key": "k", "page": "3"}},
        id="query",
    ),
    pytest.param(
        {"steps": [{"action": "navigate", "headers": {"Cookie": SECRET_MASK}}]},
        {"steps": [{"action": "navigate", "headers": {"Cookie": "c=1"}}]},
        {"steps": [{"action": "navigate", "headers": {"Cookie": "c=1"}}]},
        id="nested in a list",
    ),
    pytest.param(
        {"apiKeyHeader": "X-Shop", "headers": {"X-Shop": SECRET_MASK}},
        {"apiKeyHeader": "X-Shop", "headers": {"X-Shop": "k"}},
        {"apiKeyHeader": "X-Shop", "headers": {"X-Shop": "k"}},
        id="header named by apiKeyHeader",
    ),
]


@pytest.mark.parametrize(("new", "stored", "expected"), MERGING)
def test_merge_secrets_keeps_stored_secrets_only_where_masked(
    new: dict[str, Any], stored: dict[str, Any], expected: dict[str, Any]
) -> None:
    originals = copy.deepcopy((new, stored))

    assert merge_secrets(API, new, stored) == expected
    assert (new, stored) == originals
