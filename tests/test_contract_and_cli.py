"""The printed schema honours API.md, migrations match the models, and the CLI works from any folder."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
TASKLOOM = str(Path(sys.executable).with_name("taskloom"))
CONTRACT_CHECK = ROOT.parent / "shared" / "tools" / "check_contract.py"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    full_env.update(env or {})
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


async def _negotiated_extensions(port: int) -> str | None:
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as conn:
        extensions = conn.response.headers.get("Sec-WebSocket-Extensions")
    return extensions.split(";")[0] if extensions else None


def test_schema_honours_the_contract(tmp_path: Path) -> None:
    if not CONTRACT_CHECK.exists():
        pytest.skip(f"{CONTRACT_CHECK} is not beside the checkout")
    printed = run(TASKLOOM, "schema", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    schema = tmp_path / "schema.graphql"
    schema.write_text(printed.stdout)
    checked = run(sys.executable, str(CONTRACT_CHECK), str(schema), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "contract: 0 breaches" in checked.stdout
    assert "type Query" in printed.stdout and "type Mutation" in printed.stdout


def test_migrations_match_the_models() -> None:
    checked = run(sys.executable, "-m", "migrations", "check", cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_api_key_create_prints_the_key_last_and_it_works(tmp_path: Path) -> None:
    env = {"TASKLOOM_DATABASE_URL": f"sqlite://{tmp_path / 'cli.db'}"}
    made = run(TASKLOOM, "api-key", "create", "--workspace", "acme", "--scopes", "tasks:read,tasks:write",
               cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("tlk_") and " " not in key
    listed = run(TASKLOOM, "api-key", "list", "--workspace", "acme", cwd=tmp_path, env=env)
    assert key[:12] in listed.stdout and key not in listed.stdout and "active" in listed.stdout
    bad = run(TASKLOOM, "api-key", "create", "--workspace", "acme", "--scopes", "root", cwd=tmp_path, env=env)
    assert bad.returncode != 0 and "unknown scope" in bad.stderr
    key_id = listed.stdout.split()[0]
    revoked = run(TASKLOOM, "api-key", "revoke", "--workspace", "acme", key_id, cwd=tmp_path, env=env)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


def test_a_bad_setting_fails_at_start_with_one_clear_line(tmp_path: Path) -> None:
    result = run(TASKLOOM, "migrate", cwd=tmp_path, env={"TASKLOOM_PORT": "eighty"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "taskloom: invalid setting TASKLOOM_PORT: Input should be a valid integer, unable to parse string as an "
        "integer (got 'eighty')"
    ]


@pytest.mark.parametrize("compression", [None, "true"])
def test_serve_migrates_sqlite_and_answers_from_another_folder(tmp_path: Path, compression: str | None) -> None:
    # Given a folder with nothing in it but a .env file
    port = free_port()
    (tmp_path / ".env").write_text(f"TASKLOOM_PORT={port}\n"
                                   + (f"TASKLOOM_WS_COMPRESSION={compression}\n" if compression else ""))
    server = subprocess.Popen([TASKLOOM, "serve"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "taskloom serve did not come up"
                time.sleep(0.2)
        # Then it serves GraphiQL and is ready on a freshly migrated ./taskloom.db
        assert health.json()["status"] == "ready"
        page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert (tmp_path / "taskloom.db").exists()
        # And WebSockets compress frames only when TASKLOOM_WS_COMPRESSION says so (the client offers it)
        assert asyncio.run(_negotiated_extensions(port)) == ("permessage-deflate" if compression else None)
    finally:
        server.terminate()
        server.wait(timeout=15)
