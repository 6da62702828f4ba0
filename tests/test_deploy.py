"""The production files: docker-compose.yml is valid and wired right, the Dockerfile builds the image it needs,
and every command they run is a real `taskloom` command. (No Docker engine here: nothing is built or run.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import free_port, service_unavailable

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
TASKLOOM = str(Path(sys.executable).with_name("taskloom"))
APP_SERVICES = ("api", "worker", "scheduler")
SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|KEY")


def compose(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f docker-compose.yml ARGS` with only `env` set (an empty .env: a developer's own .env
    beside the file must not change what the tests see)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        service_unavailable("docker-compose (Debian package docker-compose)")
    empty = tmp_path / "empty.env"
    empty.write_text("")
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
    return subprocess.run([binary, "--env-file", str(empty), "-f", str(COMPOSE), *args], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=60)


def resolved(tmp_path: Path, **env: str) -> dict[str, Any]:
    """The compose file as docker-compose resolves it (variables substituted, anchors merged)."""
    result = compose("config", tmp_path=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_is_valid(tmp_path: Path) -> None:
    result = compose("config", "-q", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    switched = compose("config", "-q", tmp_path=tmp_path, COMPOSE_PROFILES="rabbitmq",
                       TASKLOOM_BROKER_URL="amqp://taskloom:secret@rabbitmq:5672/")
    assert switched.returncode == 0, switched.stderr


def test_compose_runs_migrations_once_before_the_app_and_waits_for_healthy_services(tmp_path: Path) -> None:
    services = resolved(tmp_path)["services"]
    assert set(services) == {"postgres", "redis", "rabbitmq", "migrate", *APP_SERVICES}
    assert services["migrate"]["command"] == ["taskloom", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, name
        assert services[name]["restart"] == "unless-stopped"


def test_worker_can_scale(tmp_path: Path) -> None:
    worker = resolved(tmp_path)["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["command"][:2] == ["taskloom", "worker"]


def test_worker_and_scheduler_metrics_are_reachable_on_the_compose_network(tmp_path: Path) -> None:
    services = resolved(tmp_path)["services"]
    for name in ("worker", "scheduler"):
        assert services[name]["environment"]["TASKLOOM_METRICS_HOST"] == "0.0.0.0", name


def test_services_that_can_be_asked_have_health_checks(tmp_path: Path) -> None:
    services = resolved(tmp_path)["services"]
    expected = {"postgres": "pg_isready", "redis": "redis-cli ping", "rabbitmq": "rabbitmq-diagnostics -q ping",
                "api": "/readyz"}
    for name, probe in expected.items():
        assert probe in " ".join(services[name]["healthcheck"]["test"]), name
    # The API's probe is Python (the slim image has no curl) and fails on a 503: urlopen raises on it
    code = services["api"]["healthcheck"]["test"][-1]
    compile(code, "healthcheck", "exec")
    assert "urlopen" in code and "127.0.0.1:8000/readyz" in code


def test_settings_come_from_the_environment_with_redis_by_default(tmp_path: Path) -> None:
    services = resolved(tmp_path)["services"]
    images = {services[name]["image"] for name in (*APP_SERVICES, "migrate")}
    assert images == {"taskloom:latest"}, "one image for every Taskloom service"
    for name in (*APP_SERVICES, "migrate"):
        env = services[name]["environment"]
        assert env["TASKLOOM_DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["TASKLOOM_DATABASE_URL"]
        assert env["TASKLOOM_BROKER_URL"] == "redis://redis:6379/0"
    # Several API processes: possible only because the broker is not the in-process memory:// one
    api = services["api"]["command"]
    assert api[:2] == ["taskloom", "serve"] and int(api[api.index("--workers") + 1]) > 1


def test_switching_to_rabbitmq_is_two_variables(tmp_path: Path) -> None:
    url = "amqp://taskloom:secret@rabbitmq:5672/"
    services = resolved(tmp_path, COMPOSE_PROFILES="rabbitmq", TASKLOOM_BROKER_URL=url)["services"]
    assert services["rabbitmq"]["profiles"] == ["rabbitmq"]
    assert {services[name]["environment"]["TASKLOOM_BROKER_URL"] for name in APP_SERVICES} == {url}


def test_data_lives_in_named_volumes(tmp_path: Path) -> None:
    config = resolved(tmp_path)
    services = config["services"]
    assert {"pgdata", "redisdata", "rabbitmqdata", "artifacts"} <= set(config["volumes"])
    assert "pgdata:/var/lib/postgresql/data:rw" in services["postgres"]["volumes"]
    for name in ("api", "worker"):  # workers write screenshots, the API serves them
        artifacts_dir = services[name]["environment"]["TASKLOOM_ARTIFACTS_DIR"]
        assert f"artifacts:{artifacts_dir}:rw" in services[name]["volumes"], name


def _environments(raw: dict[str, Any]) -> list[dict[str, str]]:
    envs = [raw["x-taskloom-env"]]
    envs += [s["environment"] for s in raw["services"].values() if isinstance(s.get("environment"), dict)]
    return envs


def test_no_secret_is_written_in_the_file_beyond_marked_dev_defaults() -> None:
    text = COMPOSE.read_text()
    raw = yaml.safe_load(text)
    assert "DEV DEFAULTS" in text
    for env in _environments(raw):
        for key, value in env.items():
            # A password inside a URL is always a variable
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", str(value)):
                assert re.fullmatch(r"\$\{\w+:-[\w-]*-dev-only\}", password), (key, value)
            if SECRET_NAME.search(key):
                # A secret setting is a variable whose default is empty or visibly a dev-only one
                match = re.fullmatch(r"\$\{(\w+):-([\w-]*)\}", str(value))
                assert match, (key, value)
                assert match.group(2) == "" or match.group(2).endswith("-dev-only"), (key, value)


@pytest.mark.parametrize("service", ["migrate", *APP_SERVICES])
def test_compose_commands_are_real_taskloom_commands(service: str, tmp_path: Path) -> None:
    command = resolved(tmp_path)["services"][service]["command"]
    assert command[0] == "taskloom"
    # Click parses every option before it acts on --help: an unknown command or option fails here
    result = subprocess.run([TASKLOOM, *command[1:], "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_dockerfile_builds_a_non_root_image_with_debian_chromium() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert re.search(r"apt-get install [^\n]*\bchromium\b", text)
    assert "TASKLOOM_CHROMIUM_PATH=/usr/bin/chromium" in text
    assert "playwright install" not in text
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    # Every package setuptools installs is copied into the image
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.findall(r'"(\w+)\*"', pyproject.split("[tool.setuptools.packages.find]")[1].split("\n\n")[0])
    assert set(packages) == {"api", "domain", "workers", "migrations"}
    for package in packages:
        assert re.search(rf"^COPY {package} ", text, re.M), package
    cmd = re.findall(r"^CMD (.+)$", text, re.M)[-1]
    assert yaml.safe_load(cmd) == ["taskloom", "serve"]


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".env", ".venv", "taskloom.db*", "artifacts"} <= ignored


def _serve_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    env.update(settings)
    return env


def test_serve_refuses_several_workers_on_the_memory_broker(tmp_path: Path) -> None:
    result = subprocess.run([TASKLOOM, "serve", "--workers", "2"], cwd=tmp_path, capture_output=True, text=True,
                            env=_serve_env(), timeout=60)
    assert result.returncode == 2
    assert "--workers needs TASKLOOM_BROKER_URL=redis://… or amqp://…" in result.stderr


def test_serve_runs_several_api_processes_with_a_redis_broker(tmp_path: Path) -> None:
    import redis

    broker_url = "redis://127.0.0.1:6379/7"
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {broker_url} ({exc})")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [TASKLOOM, "serve", "--workers", "2", "--port", str(port)], cwd=tmp_path, stdout=out,
            stderr=subprocess.STDOUT,
            env=_serve_env(TASKLOOM_BROKER_URL=broker_url, TASKLOOM_DATABASE_URL=f"sqlite://{tmp_path / 'api.db'}"))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200 and log.read_text().count("Application startup complete") == 2:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        assert len(set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
