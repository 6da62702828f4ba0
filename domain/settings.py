"""Taskloom's settings, read from `TASKLOOM_*` environment variables and `.env` (pydantic-settings).

Loaded once, in the entrypoints (`api/cli.py`, `workers/broker.py`), and passed down. The README's settings
table lists every field; each has a default, so `taskloom serve` runs with no configuration at all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "SettingsError", "load_settings"]

#: Largest request body the API reads, in bytes (createTasks with 1000 inputs fits comfortably).
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
#: A key's last-used time is written at most this often, so reads do not each cost a write.
DEFAULT_KEY_TOUCH_INTERVAL_S = 60.0
#: Where `taskloom worker` serves its processes' metrics (dramatiq's Prometheus exporter's usual port).
DEFAULT_WORKER_METRICS_PORT = 9191
#: Where `taskloom scheduler` serves its metrics.
DEFAULT_SCHEDULER_METRICS_PORT = 9192

_SCHEMES = {
    "database_url": ("sqlite", "postgres", "postgresql", "asyncpg", "psycopg"),
    "broker_url": ("memory", "redis", "rediss", "amqp", "amqps"),
    "events_url": ("memory", "postgres", "postgresql", "redis", "rediss"),
}


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming it."""


class Settings(BaseSettings):
    """Every knob of Taskloom. Env names are the flat `TASKLOOM_<FIELD>` names."""

    model_config = SettingsConfigDict(env_prefix="TASKLOOM_", env_file=".env", extra="ignore", frozen=True)

    # -- storage and transport --------------------------------------------------------------------------
    database_url: str = Field("sqlite://./taskloom.db", description="Tortoise URL: sqlite://PATH or postgres://…")
    broker_url: str = Field("memory://", description="memory:// (in-process), redis://… or amqp://…")
    events_url: str = Field(
        "",
        description="memory://, postgres://… or redis://…; empty: PostgreSQL NOTIFY on PostgreSQL, "
        "else Redis pub/sub with a Redis broker, else in-process",
    )

    # -- api ----------------------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="API bind address")
    port: int = Field(8000, ge=0, le=65535, description="API bind port")
    cors_origins: str = Field("", description="comma-separated origins allowed for HTTP and WebSocket")
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0, description="largest request body accepted")
    query_max_depth: int = Field(12, gt=0, description="deepest GraphQL selection accepted")
    query_max_aliases: int = Field(30, gt=0, description="most aliases in one GraphQL document")
    query_max_tokens: int = Field(20000, gt=0, description="most tokens in one GraphQL document")
    subscriber_queue_size: int = Field(1000, gt=0, description="events a live subscriber may lag before it is cut")
    live_poll_s: float = Field(2.0, gt=0, description="seconds between the API's safety reads of new events when "
                               "no bus notice arrives")
    ws_compression: bool = Field(False, description="permessage-deflate on WebSockets: smaller frames for a deflate "
                                 "per frame per subscriber")
    artifacts_dir: Path = Field(Path("./artifacts"), description="where screenshots and files are kept")

    # -- engine -------------------------------------------------------------------------------------------
    egress_allowlist: str = Field("", description="hosts or CIDRs user URLs may reach despite the block")
    retry_base_s: float = Field(2.0, gt=0, description="first retry backoff (full jitter)")
    retry_cap_s: float = Field(600.0, gt=0, description="longest retry backoff")
    heartbeat_s: float = Field(5.0, gt=0, description="worker heartbeat period")
    lost_after_s: float = Field(30.0, gt=0, description="a run silent this long is lost")
    redispatch_after_s: float = Field(15.0, gt=0, description="QUEUED and unclaimed this long: sent again")
    webhook_timeout_s: float = Field(15.0, gt=0, description="one webhook delivery attempt")
    webhook_schedule: str = Field("5s,5m,30m,2h,5h,10h,24h", description="webhook retry delays")
    http_max_response_bytes: int = Field(5_000_000, gt=0, description="API_CALL response cap")

    # -- browser, LLM, GoHighLevel --------------------------------------------------------------------------
    chromium_path: Path = Field(Path("/usr/bin/chromium"), description="system Chromium for Playwright")
    browser_cdp_url: str = Field("", description="remote browser over CDP")
    browserbase_api_key: str = Field("", description="Browserbase key (remote browser)")
    browserbase_base_url: str = Field("https://api.browserbase.com", description="Browserbase API")
    llm_base_url: str = Field("", description="OpenAI-compatible endpoint for LLM extraction")
    llm_api_key: str = Field("", description="key for the LLM endpoint")
    llm_model: str = Field("", description="model name for LLM extraction")
    ghl_base_url: str = Field("https://services.leadconnectorhq.com", description="GoHighLevel API v2")
    ghl_api_key: str = Field("", description="GoHighLevel Private Integration Token")
    ghl_location_id: str = Field("", description="default GoHighLevel location")

    # -- logging ------------------------------------------------------------------------------------------
    log_format: Literal["text", "json"] = Field("text", description="text, or json for one object a line")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="root log level")

    # -- process tuning -----------------------------------------------------------------------------------
    gc_threshold: int = Field(50_000, ge=0, description="allocations between young-generation garbage collections "
                              "in `serve`, `worker` and `scheduler` processes (after start-up objects are frozen "
                              "out of collection); 0: Python's defaults")
    event_loop: Literal["auto", "asyncio", "uvloop"] = Field("auto", description="event loop of `serve`, `worker` "
                                                             "and `scheduler` processes: auto = uvloop when "
                                                             "installed, else asyncio")
    worker_poll_ms: int = Field(100, ge=10, le=60_000, description="the longest an idle worker waits before it "
                                "asks the broker for messages again (Dramatiq's worker timeout, 1000 ms by its "
                                "default); on Redis a doorbell wakes idle workers as soon as a message is sent, "
                                "so this bounds only what comes without one (messages re-queued from a dead "
                                "worker, or sent while the doorbell reconnects)")

    # -- metrics and tracing ------------------------------------------------------------------------------
    metrics_enabled: bool = Field(True, description="serve Prometheus metrics at the API's /metrics")
    metrics_host: str = Field("127.0.0.1", description="bind address of the worker's and the scheduler's metrics "
                              "(0.0.0.0 in a container)")
    worker_metrics_port: int = Field(DEFAULT_WORKER_METRICS_PORT, ge=0, le=65535,
                                     description="port of `taskloom worker`'s metrics; 0: none")
    scheduler_metrics_port: int = Field(DEFAULT_SCHEDULER_METRICS_PORT, ge=0, le=65535,
                                        description="port of `taskloom scheduler`'s metrics; 0: none")
    worker_metrics_dir: str = Field("", description="prometheus-client multiprocess directory of `taskloom "
                                    "worker` (emptied at start); empty: a fresh temporary one")
    otel_endpoint: str = Field("", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
                               description="OTLP/HTTP collector; set (with the [otel] extra) to trace requests "
                               "and task runs")

    @field_validator("database_url", "broker_url", "events_url")
    @classmethod
    def _known_scheme(cls, value: str, info: object) -> str:
        name = info.field_name  # type: ignore[attr-defined]
        if value == "" and name == "events_url":
            return value
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in _SCHEMES[name]:
            allowed = ", ".join(f"{s}://" for s in _SCHEMES[name])
            raise ValueError(f"unsupported URL {value!r}; use one of {allowed}")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    @property
    def events_url_resolved(self) -> str:
        """`events_url`, or ARCHITECTURE.md's default: PostgreSQL NOTIFY on PostgreSQL, else Redis pub/sub on a
        Redis broker, else in-process."""
        if self.events_url:
            return self.events_url
        if not self.is_sqlite:
            return self.database_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return "memory://"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url)

    @property
    def ghl_configured(self) -> bool:
        return bool(self.ghl_api_key)

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises SettingsError with one line naming the variable.

    Raises:
        SettingsError: a `TASKLOOM_*` variable (or `.env` entry) does not parse.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "TASKLOOM_" + str(err["loc"][0]).upper() if err["loc"] else "TASKLOOM_*"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if "URL" in msg or "KEY" in name:  # may carry a password: never echo it
            raise SettingsError(f"invalid setting {name}: {_redact(msg)}") from None
        raise SettingsError(f"invalid setting {name}: {msg} (got {err.get('input')!r})") from None


def _redact(text: str) -> str:
    """Hide the user-info part of any URL in `text` (`postgres://u:secret@h` -> `postgres://***@h`)."""
    return re.sub(r"://[^/@\s']*@", "://***@", text)
