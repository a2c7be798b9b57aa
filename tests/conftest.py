"""Shared fixtures: a throwaway database, a fixed clock, a small city, and no developer config."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import Role
from ops_console.i18n import set_language
from ops_console.services.context import Actor, AppContext

# 2026-11-24 10:00 in Shanghai.
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    """However the suite was started (a background job of a shell has SIGINT ignored, and ignored
    signals stay ignored in every child), Ctrl+C interrupts it and the processes the tests start
    get default SIGINT/SIGTERM: a handled signal is reset to its default across exec."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Hide the developer's own settings: no OPS_* variable but the Postgres test URL leaks in."""
    for name in list(os.environ):
        if name.startswith("OPS_") and name != "OPS_TEST_POSTGRES_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPS_CONFIG", str(tmp_path / "no-config.toml"))
    # CLI sessions of tests live in the test's folder, never in the developer's ~/.local/state.
    monkeypatch.setenv("OPS_STATE_DIR", str(tmp_path / "state"))
    # Production PIN hashes are slow on purpose; the tests hash many PINs (stored hashes carry their count).
    monkeypatch.setattr("ops_console.services.operators.PIN_ITERATIONS", 1_000)
    set_language("zh_CN")
    yield
    set_language("zh_CN")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ops.db'}"


@pytest.fixture
def ctx(db_url: str, clock: ManualClock) -> Iterator[AppContext]:
    context = AppContext.open(Settings(), clock, url=db_url)
    yield context
    context.close()


DISPATCHER = Actor("U01", "王丽", Role.DISPATCHER)
CS = Actor("U02", "李娜", Role.CUSTOMER_SERVICE)
SUPERVISOR = Actor("U03", "张强", Role.SUPERVISOR)


@pytest.fixture
def city(ctx: AppContext) -> AppContext:
    """Two stores, couriers of every tier, a few SKUs, three operators."""
    from tests.factories import seed_city

    seed_city(ctx)
    return ctx
