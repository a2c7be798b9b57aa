"""Settings: one typed object from config.toml with env overrides; the one clock and OPS_NOW."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops_console.clock import Clock, ClockError, clock_from_env, parse_instant
from ops_console.config import Settings, SettingsError, load_settings
from tests.proc import default_signals

REPO = Path(__file__).parent.parent


def test_shipped_config_has_every_setting_at_its_default() -> None:
    assert load_settings(REPO / "config.toml", environ={}) == Settings()


def test_env_overrides_each_key_and_ignores_non_settings() -> None:
    env = {"OPS_DATABASE__URL": "sqlite:///x.db", "OPS_UI__LANGUAGE": "en", "OPS_NOW": "2026-11-24T09:00:00",
           "OPS_OPERATOR": "U01", "OPS_CONFIG": "nowhere.toml", "OPS_TEST_POSTGRES_URL": "postgresql://x",
           "OPS_REMINDERS__BACKLOG_WARN_MINUTES": "5", "OPS_PICKING__SLA_MINUTES": "{produce = 3, default = 12}"}
    s = load_settings(REPO / "config.toml", environ=env)
    assert s.database.url == "sqlite:///x.db"
    assert s.ui.language == "en"
    assert s.reminders.backlog_warn_minutes == 5
    assert s.picking.sla_minutes == {"produce": 3, "default": 12}


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"OPS_UI__COLOUR": "red"}, ["OPS_UI__COLOUR", "ui.colour", "language"]),
        ({"OPS_REMINDERS__CHECK_SECONDS": "soon"}, ["reminders.check_seconds", "'soon'", "whole number"]),
        ({"OPS_UI__LANGUAGE": "fr"}, ["ui.language", "'fr'", "zh_CN"]),
        ({"OPS_NOSUCH__KEY": "1"}, ["nosuch"]),
        ({"OPS_UI__TIMEZONE": "Mars/Olympus"}, ["ui.timezone", "Mars/Olympus"]),
    ],
)
def test_bad_settings_name_key_value_and_expectation(env: dict[str, str], words: list[str]) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(REPO / "config.toml", environ=env)
    for word in words:
        assert word in str(err.value)


def test_bad_file_key_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[delivery]\nsla_minutes = "fast"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"delivery.sla_minutes = 'fast': expected a whole number"):
        load_settings(cfg, environ={})


def test_ops_now_starts_the_clock_there_and_lets_it_run() -> None:
    clock = clock_from_env(environ={"OPS_NOW": "2026-11-24T09:30:00+08:00"})
    first = clock.now()
    assert abs(first - datetime(2026, 11, 24, 1, 30, tzinfo=UTC)) < timedelta(seconds=2)
    assert clock.now() >= first
    assert isinstance(clock_from_env(environ={}), Clock)
    with pytest.raises(ClockError, match="OPS_NOW"):
        parse_instant("yesterday")


def test_cli_reports_bad_setting_without_traceback(tmp_path: Path) -> None:
    env = {"PATH": "", "OPS_CONFIG": str(tmp_path / "none.toml"), "OPS_UI__LANGUAGE": "fr"}
    proc = subprocess.run([sys.executable, "-m", "ops_console", "status"], capture_output=True, text=True,
                          preexec_fn=default_signals,
                          env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "ui.language" in proc.stderr and "Traceback" not in proc.stderr
