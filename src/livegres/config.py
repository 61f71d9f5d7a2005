"""Settings: one table of options, read from flags, Hasura's environment variables and defaults.

Precedence for every setting: command-line flag, then its environment variables (in the
order listed), then the default. Each option is declared once in ``OPTIONS``; the CLI's
``--help`` and the README's configuration table are both generated from it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A bad setting: the message is one line meant for the person starting the server."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _parse_int(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError("expected an integer") from None
        if not low <= value <= high:
            raise ValueError(f"expected an integer from {low} to {high}")
        return value

    return parse


def _parse_float(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("expected a number") from None
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low:g} to {high:g}")
        return value

    return parse


def _parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError("expected one of " + ", ".join(choices))
        return value

    return parse


def _parse_database_url(raw: str) -> str:
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("expected a postgres:// or postgresql:// URL")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError("the port is not a number") from None
    return value


def _parse_host(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("expected a host name or address")
    # Hasura's default host is "*", meaning every interface.
    return "0.0.0.0" if value == "*" else value


def _parse_path(raw: str) -> str:
    if not raw.strip():
        raise ValueError("expected a folder path")
    return raw


def _parse_str(raw: str) -> str:
    return raw


@dataclass(frozen=True)
class Option:
    """One setting: its attribute name, flag, environment variables, parser and default."""

    name: str
    flag: str
    envs: tuple[str, ...]
    parse: Callable[[str], Any]
    default: Any
    help: str
    metavar: str = "VALUE"
    secret: bool = False


OPTIONS: tuple[Option, ...] = (
    Option(
        "database_url",
        "--database-url",
        ("HASURA_GRAPHQL_DATABASE_URL", "DATABASE_URL"),
        _parse_database_url,
        None,
        "PostgreSQL to serve; without one, an embedded PostgreSQL is started in --data-dir",
        "URL",
        secret=True,
    ),
    Option(
        "metadata_database_url",
        "--metadata-database-url",
        ("HASURA_GRAPHQL_METADATA_DATABASE_URL",),
        _parse_database_url,
        None,
        "PostgreSQL that stores metadata (hdb_catalog); defaults to the database URL",
        "URL",
        secret=True,
    ),
    Option(
        "host",
        "--server-host",
        ("HASURA_GRAPHQL_SERVER_HOST",),
        _parse_host,
        "0.0.0.0",
        "address to listen on ('*' means every interface)",
        "HOST",
    ),
    Option(
        "port",
        "--server-port",
        ("HASURA_GRAPHQL_SERVER_PORT", "PORT"),
        _parse_int(0, 65535),
        8080,
        "TCP port to listen on",
        "PORT",
    ),
    Option(
        "admin_secret",
        "--admin-secret",
        ("HASURA_GRAPHQL_ADMIN_SECRET",),
        _parse_str,
        None,
        "secret that admin requests send in x-hasura-admin-secret",
        "SECRET",
        secret=True,
    ),
    Option(
        "enable_console",
        "--enable-console",
        ("HASURA_GRAPHQL_ENABLE_CONSOLE",),
        _parse_bool,
        False,
        "serve the web console at /console",
        "BOOL",
    ),
    Option(
        "log_level",
        "--log-level",
        ("HASURA_GRAPHQL_LOG_LEVEL",),
        _parse_choice("debug", "info", "warn", "error"),
        "info",
        "lowest level of log lines written",
        "LEVEL",
    ),
    Option(
        "dev_mode",
        "--dev-mode",
        ("HASURA_GRAPHQL_DEV_MODE",),
        _parse_bool,
        False,
        "include internal error details in every error response",
        "BOOL",
    ),
    Option(
        "admin_internal_errors",
        "--admin-internal-errors",
        ("HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS",),
        _parse_bool,
        True,
        "include internal error details (the PostgreSQL error) in error responses to admin requests",
        "BOOL",
    ),
    Option(
        "pg_connections",
        "--pg-connections",
        ("HASURA_GRAPHQL_PG_CONNECTIONS",),
        _parse_int(1, 10000),
        50,
        "maximum connections in the database pool",
        "N",
    ),
    Option(
        "data_dir",
        "--data-dir",
        ("LIVEGRES_DATA_DIR",),
        _parse_path,
        "./livegres-data",
        "folder of the embedded PostgreSQL's data (used only without a database URL)",
        "DIR",
    ),
    Option(
        "db_connect_timeout",
        "--db-connect-timeout",
        ("LIVEGRES_DB_CONNECT_TIMEOUT",),
        _parse_float(0, 86400),
        60.0,
        "seconds to keep retrying an unreachable database at startup before giving up",
        "SECONDS",
    ),
)


OPTIONS = (
    *OPTIONS,
    Option(
        "metadata_poll_interval",
        "--schema-sync-poll-interval",
        ("HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL",),
        _parse_int(50, 3_600_000),
        1000,
        "milliseconds between checks for metadata and schema changes made elsewhere",
        "MS",
    ),
    Option(
        "stringify_numeric_types",
        "--stringify-numeric-types",
        ("HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES",),
        _parse_bool,
        False,
        "return bigint, numeric, double precision and money values as JSON strings",
        "BOOL",
    ),
)


def _parse_jwt_secret(raw: str) -> str:
    from livegres.auth.jwt_config import parse_jwt_config  # imported here: config stays free of auth

    parse_jwt_config(raw)
    return raw


def _parse_url(raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _parse_hook_mode(raw: str) -> str:
    value = raw.strip().upper()
    if value not in ("GET", "POST"):
        raise ValueError("expected GET or POST")
    return value


def _parse_role(raw: str) -> str:
    if not raw.strip():
        raise ValueError("expected a role name")
    return raw.strip()


OPTIONS = (
    *OPTIONS,
    Option(
        "jwt_secret",
        "--jwt-secret",
        ("HASURA_GRAPHQL_JWT_SECRET",),
        _parse_jwt_secret,
        None,
        "JWT mode: Hasura's JSON configuration (type and key, or jwk_url; claims, audience, issuer...)",
        "JSON",
        secret=True,
    ),
    Option(
        "auth_hook",
        "--auth-hook",
        ("HASURA_GRAPHQL_AUTH_HOOK",),
        _parse_url,
        None,
        "auth webhook mode: URL asked for the session of each request without the admin secret",
        "URL",
    ),
    Option(
        "auth_hook_mode",
        "--auth-hook-mode",
        ("HASURA_GRAPHQL_AUTH_HOOK_MODE",),
        _parse_hook_mode,
        "GET",
        "how the auth webhook is called: GET (forwards the headers) or POST (headers and request as JSON)",
        "GET|POST",
    ),
    Option(
        "auth_hook_send_request_body",
        "--auth-hook-send-request-body",
        ("HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY",),
        _parse_bool,
        True,
        "in POST mode, include the GraphQL request in the auth webhook's body",
        "BOOL",
    ),
    Option(
        "unauthorized_role",
        "--unauthorized-role",
        ("HASURA_GRAPHQL_UNAUTHORIZED_ROLE",),
        _parse_role,
        None,
        "role of requests without credentials (admin secret or JWT mode; needs an admin secret)",
        "ROLE",
    ),
)


def check_auth_settings(
    admin_secret: str | None, jwt_secret: str | None, auth_hook: str | None, unauthorized_role: str | None
) -> str | None:
    """Hasura's rules for combining the authentication settings: the problem, or None."""
    needs = " requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) to be set"
    if jwt_secret is not None and auth_hook is not None:
        return "both webhook and JWT mode cannot be enabled at the same time"
    if admin_secret is None:
        if jwt_secret is not None:
            return "--jwt-secret (HASURA_GRAPHQL_JWT_SECRET)" + needs
        if auth_hook is not None:
            return "--auth-hook (HASURA_GRAPHQL_AUTH_HOOK)" + needs
        if unauthorized_role is not None:
            return "--unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)" + needs
    if auth_hook is not None and unauthorized_role is not None:
        return "--unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) is not allowed when --auth-hook is set"
    return None


OPTIONS = (
    *OPTIONS,
    Option(
        "events_http_pool_size",
        "--events-http-pool-size",
        ("HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE",),
        _parse_int(1, 10_000),
        100,
        "event and scheduled-event webhook calls in flight at once, per instance",
        "N",
    ),
    Option(
        "events_fetch_batch_size",
        "--events-fetch-batch-size",
        ("HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE",),
        _parse_int(1, 10_000),
        100,
        "events claimed from the event log per fetch",
        "N",
    ),
    Option(
        "events_fetch_interval",
        "--events-fetch-interval",
        ("HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL",),
        _parse_int(0, 3_600_000),
        1000,
        "milliseconds between event log polls when no notification arrives (0 turns delivery off here)",
        "MS",
    ),
    Option(
        "graceful_shutdown_timeout",
        "--graceful-shutdown-timeout",
        ("HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT",),
        _parse_float(0, 86400),
        60.0,
        "seconds in-flight webhook calls get to finish at shutdown before their events are unlocked",
        "SECONDS",
    ),
)


OPTIONS = (
    *OPTIONS,
    Option(
        "live_queries_mode",
        "--live-queries-mode",
        ("LIVEGRES_LIVE_QUERIES_MODE",),
        _parse_choice("push", "poll"),
        "push",
        "push: refresh live queries when a table they read changes (change feed); poll: every refetch interval",
        "MODE",
    ),
    Option(
        "live_queries_refetch_interval",
        "--live-queries-multiplexed-refetch-interval",
        ("HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL",),
        _parse_int(10, 3_600_000),
        1000,
        "milliseconds between refreshes of live queries that are polled",
        "MS",
    ),
    Option(
        "live_queries_batch_size",
        "--live-queries-multiplexed-batch-size",
        ("HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE",),
        _parse_int(1, 100_000),
        100,
        "cohorts (distinct variables and session values) evaluated by one SQL statement",
        "N",
    ),
    Option(
        "live_queries_min_refresh_interval",
        "--live-queries-min-refresh-interval",
        ("LIVEGRES_LIVE_QUERIES_MIN_REFRESH_INTERVAL",),
        _parse_int(0, 3_600_000),
        50,
        "milliseconds between two refreshes of all the cohorts of one live query (changes in between are coalesced)",
        "MS",
    ),
    Option(
        "websocket_keepalive",
        "--websocket-keepalive",
        ("HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE",),
        _parse_int(1, 86400),
        5,
        "seconds between keep-alive messages on WebSocket connections (ka, or ping for graphql-transport-ws)",
        "SECONDS",
    ),
    Option(
        "websocket_connection_init_timeout",
        "--websocket-connection-init-timeout",
        ("HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT",),
        _parse_int(1, 86400),
        3,
        "seconds a WebSocket client has to send connection_init",
        "SECONDS",
    ),
    Option(
        "close_websockets_on_metadata_change",
        "--close-websockets-on-metadata-change",
        ("HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE",),
        _parse_bool,
        True,
        "close WebSocket connections (code 1012) when the metadata changes; false: re-plan their subscriptions",
        "BOOL",
    ),
)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    metadata_database_url: str | None = None
    host: str = "0.0.0.0"
    port: int = 8080
    admin_secret: str | None = None
    enable_console: bool = False
    log_level: str = "info"
    dev_mode: bool = False
    admin_internal_errors: bool = True
    pg_connections: int = 50
    data_dir: str = "./livegres-data"
    db_connect_timeout: float = 60.0
    metadata_poll_interval: int = 1000
    stringify_numeric_types: bool = False
    events_http_pool_size: int = 100
    events_fetch_batch_size: int = 100
    events_fetch_interval: int = 1000
    graceful_shutdown_timeout: float = 60.0
    jwt_secret: str | None = None
    auth_hook: str | None = None
    auth_hook_mode: str = "GET"
    auth_hook_send_request_body: bool = True
    unauthorized_role: str | None = None
    live_queries_mode: str = "push"
    live_queries_refetch_interval: int = 1000
    live_queries_batch_size: int = 100
    live_queries_min_refresh_interval: int = 50
    websocket_keepalive: int = 5
    websocket_connection_init_timeout: int = 3
    close_websockets_on_metadata_change: bool = True

    @property
    def embedded(self) -> bool:
        """True when Livegres runs its own PostgreSQL (no database URL was given)."""
        return self.database_url is None

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().absolute()

    def with_database(self, url: str) -> Settings:
        return dataclasses.replace(self, database_url=url)


def load_settings(flags: Mapping[str, str | None], env: Mapping[str, str] | None = None) -> Settings:
    """Resolve every option from raw flag strings (None when absent) and the environment."""
    environ = os.environ if env is None else env
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = flags.get(option.name)
        source = option.flag
        if raw is None:
            for env_name in option.envs:
                if environ.get(env_name, "") != "":
                    raw, source = environ[env_name], env_name
                    break
        if raw is None:
            values[option.name] = option.default
            continue
        try:
            values[option.name] = option.parse(raw)
        except ValueError as exc:
            shown = "(hidden)" if option.secret else repr(raw)
            raise ConfigError(f"invalid value {shown} for {source}: {exc}") from None
    problem = check_auth_settings(
        values["admin_secret"], values["jwt_secret"], values["auth_hook"], values["unauthorized_role"]
    )
    if problem is not None:
        raise ConfigError(problem)
    return Settings(**values)


def describe_options() -> Sequence[tuple[str, str, str, str]]:
    """(flag, environment variables, default, help) for every option, for docs and --help."""
    rows = []
    for option in OPTIONS:
        default = "(embedded)" if option.name == "database_url" else option.default
        if option.name == "metadata_database_url":
            default = "(database URL)"
        rows.append((option.flag, ", ".join(option.envs), str(default), option.help))
    return rows
