"""Fuzzing the GraphQL API with schemathesis: every query and mutation of the served schema gets generated
documents and variables (custom scalars included), sent with an admin key over real HTTP.

The server is a real one in a subprocess on 127.0.0.1 (SQLite, a recording dispatcher, so no generated task
ever runs or reaches the network). Each case must answer below 500, with no masked "Unexpected error.", and
the server must log no unhandled exception: the subprocess writes every ERROR record that is not an expected
GraphQL error (strawberry logs a user's bad input at ERROR too; `should_mask_error` tells the two apart) to
a file that must stay empty. Run alone: `.venv/bin/pytest tests/api/test_fuzz_graphql.py`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

#: Generated cases per operation (query or mutation field); 22 operations keep the module under a minute.
CASES_PER_OPERATION = 25
#: The answer strawberry's MaskErrors gives in place of an unhandled exception.
MASKED_MESSAGE = "Unexpected error."
SERVER_START_TIMEOUT_S = 30.0
TASKLOOM = Path(sys.executable).with_name("taskloom")

#: executionConfig keys of API.md, so that generated configs reach the per-type validation, not only "unknown key".
CONFIG_KEYS = ["apiEndpoint", "method", "headers", "body", "authType", "bearerToken", "url", "steps", "action",
               "selector", "fields", "instruction", "schema", "webhookId", "remindAt", "delayMinutes", "message",
               "contactId", "tags", "format", "notify", "timeoutSeconds"]
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30), st.sampled_from(["http://127.0.0.1:9/x", "https://example.com/a", "GET", "POST", "bearer"]),
)
JSON_KEYS = st.one_of(st.sampled_from(CONFIG_KEYS), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(JSON_KEYS, inner, max_size=4), max_leaves=12)
DATETIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),  # no offset: must be refused, not crash
    st.text(max_size=30),
)


def json_node(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (the JSON scalar takes objects and lists inline)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([json_node(v) for v in value])
    return nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=json_node(v))
                         for k, v in value.items()])


schemathesis.graphql.scalar("JSON", JSON_VALUES.map(json_node))
schemathesis.graphql.scalar("DateTime", DATETIMES.map(nodes.String))


# -- the server subprocess ----------------------------------------------------------------------------------------

class UnexpectedErrors(logging.Handler):
    """Writes each ERROR record that is not an expected GraphQL error to `path`, one JSON object a line."""

    def __init__(self, path: str) -> None:
        super().__init__(logging.ERROR)
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        from api.graphql.errors import should_mask_error

        if isinstance(record.msg, graphql.GraphQLError) and not should_mask_error(record.msg):
            return  # a coded or validation error answered to the client: the user's mistake, not ours
        entry = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exc"] = logging.Formatter().formatException(record.exc_info)
        with open(self.path, "a") as out:
            out.write(json.dumps(entry) + "\n")


def serve(port: int, unexpected_path: str) -> None:
    """The subprocess: the real app under uvicorn, with a recording dispatcher (nothing runs generated tasks)."""
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging
    from domain.services.effects import Effects
    from domain.settings import load_settings

    settings = load_settings()
    configure_logging("WARNING", "json")
    logging.getLogger().addHandler(UnexpectedErrors(unexpected_path))
    uvicorn.run(create_app(settings, effects=Effects()), host="127.0.0.1", port=port, log_config=None)


@dataclass
class FuzzServer:
    url: str
    key: str
    unexpected: Path
    cases: int = 0

    def unexpected_records(self) -> list[dict[str, Any]]:
        if not self.unexpected.exists():
            return []
        return [json.loads(line) for line in self.unexpected.read_text().splitlines() if line]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    folder = tmp_path_factory.mktemp("fuzz")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    env.update(TASKLOOM_DATABASE_URL=f"sqlite://{folder / 'fuzz.db'}", TASKLOOM_ARTIFACTS_DIR=str(folder / "artifacts"),
               PYTHONUNBUFFERED="1")
    created = subprocess.run([str(TASKLOOM), "api-key", "create", "--workspace", "fuzz", "--scopes", "admin"],
                             env=env, cwd=folder, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    port = _free_port()
    log_path, unexpected = folder / "server.log", folder / "unexpected.jsonl"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, __file__, str(port), str(unexpected)], env=env, cwd=folder,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            assert proc.poll() is None, f"the server exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"the server did not listen:\n{log_path.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        server = FuzzServer(f"http://127.0.0.1:{port}", created.stdout.strip().splitlines()[-1], unexpected)
        yield server
        logging.getLogger(__name__).info("%d generated cases sent", server.cases)
    finally:
        proc.terminate()
        proc.wait(10)


def _operations() -> list[str]:
    """Every query and mutation field, as schemathesis labels them ("Query.tasks", "Mutation.createTask")."""
    from api.graphql.schema import build_schema

    schema = build_schema()._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    return [f"Query.{name}" for name in schema.query_type.fields] + [
        f"Mutation.{name}" for name in schema.mutation_type.fields]


@pytest.fixture(scope="module")
def graphql_schema(fuzz_server: FuzzServer) -> Any:
    """The schema as the served app answers the introspection query (schemathesis's loader)."""
    return schemathesis.graphql.from_url(f"{fuzz_server.url}/graphql",
                                         headers={"Authorization": f"Bearer {fuzz_server.key}"})


def test_introspection_answers_without_errors(fuzz_server: FuzzServer) -> None:
    # Regression: `executionConfig: JSON! = {}` made every introspection query (GraphiQL's, schemathesis's) log
    # an unhandled TypeError and answer "Unexpected error." for that default.
    response = httpx.post(f"{fuzz_server.url}/graphql", json={"query": graphql.get_introspection_query()},
                          headers={"Authorization": f"Bearer {fuzz_server.key}"}, timeout=30)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body.get("errors")
    (create_input,) = [t for t in body["data"]["__schema"]["types"] if t["name"] == "CreateTaskInput"]
    defaults = {f["name"]: f["defaultValue"] for f in create_input["inputFields"]}
    assert (defaults["executionConfig"].replace(" ", ""), defaults["labels"]) == ("{}", "[]")
    assert not fuzz_server.unexpected_records()


def test_a_datetime_without_offset_is_refused_with_its_reason_not_masked(fuzz_server: FuzzServer) -> None:
    # Regression: the DateTime scalar's ValueError was masked as "Unexpected error." and logged as unhandled.
    query = '{ tasks(filter: {createdAfter: "2020-01-01T00:00:00"}) { totalCount } }'
    response = httpx.post(f"{fuzz_server.url}/graphql", json={"query": query},
                          headers={"Authorization": f"Bearer {fuzz_server.key}"}, timeout=30)
    (error,) = response.json()["errors"]
    assert "has no UTC offset; add one, e.g. 2020-01-01T00:00:00+00:00" in error["message"]
    assert not fuzz_server.unexpected_records()


# The lazy `schemathesis.pytest.from_fixture` loader breaks on pytest 9 (it reads `request.node._nodeid`), so each
# operation is a plain parametrised test that runs its own hypothesis loop over `operation.as_strategy()`.
@pytest.mark.parametrize("label", _operations())
def test_generated_requests_get_no_server_error_and_log_no_unhandled_exception(
    label: str, graphql_schema: Any, fuzz_server: FuzzServer
) -> None:
    operation = graphql_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served schema"
    headers = {"Authorization": f"Bearer {fuzz_server.key}"}

    @settings(max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def one_case(case: Any) -> None:
        # Given a generated document and variables for the field, sent with an admin key
        logged_before = len(fuzz_server.unexpected_records())
        fuzz_server.cases += 1
        response = case.call(headers=headers, timeout=30)
        # Then the answer is not a server error, and no error in it is a masked unhandled exception
        assert response.status_code < 500, (response.status_code, response.content[:2000], case.body)
        body = json.loads(response.content)
        masked = [e for e in body.get("errors") or [] if e.get("message") == MASKED_MESSAGE]
        assert not masked, (masked, case.body)
        # And the server logged no unhandled exception for it
        unexpected = fuzz_server.unexpected_records()[logged_before:]
        assert not unexpected, (unexpected, case.body)

    one_case()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
