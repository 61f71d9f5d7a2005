"""Settings: flags, Hasura's environment variables, fallbacks and one-line errors."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from livegres.config import OPTIONS, ConfigError, Settings, load_settings

NO_FLAGS: dict[str, str | None] = {}


def test_defaults_match_the_option_table() -> None:
    settings = load_settings(NO_FLAGS, env={})
    assert settings == Settings()
    for option in OPTIONS:
        assert getattr(settings, option.name) == option.default
    assert {f.name for f in dataclasses.fields(Settings)} == {o.name for o in OPTIONS}
    assert settings.embedded


def test_hasura_environment_variables_are_read() -> None:
    env = {
        "HASURA_GRAPHQL_DATABASE_URL": "postgres://u:p@db:5432/app",
        "HASURA_GRAPHQL_METADATA_DATABASE_URL": "postgresql://u@meta/m",
        "HASURA_GRAPHQL_SERVER_HOST": "*",
        "HASURA_GRAPHQL_SERVER_PORT": "9090",
        "HASURA_GRAPHQL_ADMIN_SECRET": "s3cret",
        "HASURA_GRAPHQL_ENABLE_CONSOLE": "true",
        "HASURA_GRAPHQL_LOG_LEVEL": "warn",
        "HASURA_GRAPHQL_DEV_MODE": "TRUE",
        "HASURA_GRAPHQL_PG_CONNECTIONS": "7",
    }
    s = load_settings(NO_FLAGS, env=env)
    assert s.database_url == "postgres://u:p@db:5432/app"
    assert s.metadata_database_url == "postgresql://u@meta/m"
    assert s.host == "0.0.0.0"
    assert s.port == 9090
    assert s.admin_secret == "s3cret"
    assert s.enable_console is True
    assert s.log_level == "warn"
    assert s.dev_mode is True
    assert s.pg_connections == 7
    assert not s.embedded


def test_platform_fallbacks_and_precedence() -> None:
    env = {"DATABASE_URL": "postgres://fallback/db", "PORT": "5000"}
    s = load_settings(NO_FLAGS, env=env)
    assert (s.database_url, s.port) == ("postgres://fallback/db", 5000)
    env |= {"HASURA_GRAPHQL_DATABASE_URL": "postgres://hasura/db", "HASURA_GRAPHQL_SERVER_PORT": "6000"}
    s = load_settings(NO_FLAGS, env=env)
    assert (s.database_url, s.port) == ("postgres://hasura/db", 6000)
    s = load_settings({"port": "7000", "database_url": "postgres://flag/db"}, env=env)
    assert (s.database_url, s.port) == ("postgres://flag/db", 7000)


def test_an_empty_variable_counts_as_unset() -> None:
    s = load_settings(NO_FLAGS, env={"HASURA_GRAPHQL_SERVER_PORT": "", "PORT": "4000"})
    assert s.port == 4000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HASURA_GRAPHQL_SERVER_PORT": "eighty"}, "HASURA_GRAPHQL_SERVER_PORT: expected an integer"),
        ({"PORT": "70000"}, "PORT: expected an integer from 0 to 65535"),
        ({"HASURA_GRAPHQL_ENABLE_CONSOLE": "maybe"}, "expected true or false"),
        ({"HASURA_GRAPHQL_LOG_LEVEL": "loud"}, "expected one of debug, info, warn, error"),
        ({"HASURA_GRAPHQL_DATABASE_URL": "mysql://x/y"}, "expected a postgres:// or postgresql:// URL"),
        ({"HASURA_GRAPHQL_PG_CONNECTIONS": "0"}, "expected an integer from 1"),
    ],
)
def test_malformed_values_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(NO_FLAGS, env=env)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_secret_values_are_not_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(NO_FLAGS, env={"HASURA_GRAPHQL_DATABASE_URL": "http://user:hunter2@x/y"})
    assert "hunter2" not in str(info.value)


def _livegres(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livegres", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        check=False,
    )


def test_serve_help_lists_every_setting_with_env_and_default() -> None:
    result = _livegres("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option in OPTIONS:
        assert option.flag in text
        for env in option.envs:
            assert env in text
    assert "[default: 8080]" in text


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["serve", "--server-port", "x"], {}),
        (["serve", "--no-such-flag"], {}),
        (["serve"], {"HASURA_GRAPHQL_DEV_MODE": "sometimes"}),
    ],
)
def test_cli_rejects_bad_values_with_one_line(args: list[str], env: dict[str, str]) -> None:
    result = _livegres(*args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("livegres: error:")
    assert "Traceback" not in result.stderr


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for option in OPTIONS:
        assert f"`{option.flag}`" in readme
        for env in option.envs:
            assert f"`{env}`" in readme
