"""Who acts on the command line: sign-in, sessions, PIN lockout, operators' activation and PINs."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops_console.clock import ManualClock
from ops_console.config import load_settings
from ops_console.services.context import AppContext
from tests.conftest import T0
from tests.factories import new_order, seed_city

Cli = Callable[..., Any]


@pytest.fixture
def city_cli(cli: Cli) -> Cli:
    """The CLI on a database with a small city; operators U01 (dispatcher), U02 (customer service),
    U03 (supervisor), every PIN 1234."""
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    new_order(ctx, "MT1")
    ctx.close()
    return cli


def test_acting_without_a_session_or_pin_is_refused_once_operators_exist(city_cli: Cli) -> None:
    refused = city_cli("--operator", "U01", "order", "assign", "MT1", "S01")
    assert refused.exit_code == 1
    assert "login" in refused.output and "OPS_PIN" in refused.output
    wrong = city_cli("--operator", "U01", "order", "assign", "MT1", "S01", env={"OPS_PIN": "9999"})
    assert wrong.exit_code == 1 and "PIN" in wrong.output
    shown = json.loads(city_cli("order", "show", "MT1", "--json").output)  # reading needs no proof
    assert shown["status"] == "unassigned"
    done = city_cli("--operator", "U01", "order", "assign", "MT1", "S01", env={"OPS_PIN": "1234"})
    assert done.exit_code == 0, done.output
    assert json.loads(city_cli("order", "show", "MT1", "--json").output)["events"][-1]["actor"] == "U01"


def test_pin_file_must_be_private(city_cli: Cli, tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("1234\n")
    os.chmod(pin, 0o644)
    open_file = city_cli("--operator", "U01", "--pin-file", str(pin), "order", "assign", "MT1", "S01")
    assert open_file.exit_code == 1 and "chmod 600" in open_file.output
    os.chmod(pin, 0o600)
    done = city_cli("--operator", "U01", "--pin-file", str(pin), "order", "assign", "MT1", "S01")
    assert done.exit_code == 0, done.output


def test_login_keeps_a_private_signed_session_until_logout(city_cli: Cli, tmp_path: Path) -> None:
    out = city_cli("login", "U01", env={"OPS_PIN": "1234"})
    assert out.exit_code == 0, out.output
    assert "U01" in out.output and "22:00" in out.output  # 10:00 + ui.session_hours (12)
    folder = tmp_path / "state"
    files = list(folder.iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert "1234" not in files[0].read_text()
    done = city_cli("order", "assign", "MT1", "S01")  # no --operator, no PIN: the session acts
    assert done.exit_code == 0, done.output
    # Another operator named explicitly still needs their own proof.
    assert city_cli("--operator", "U03", "order", "pick", "MT1").exit_code == 1
    # An edited session (another operator) is no session at all.
    data = json.loads(files[0].read_text())
    files[0].write_text(json.dumps(data | {"operator": "U03"}))
    assert city_cli("order", "pick", "MT1").exit_code == 1
    assert city_cli("login", "U01", env={"OPS_PIN": "1234"}).exit_code == 0
    assert city_cli("logout").exit_code == 0
    after = city_cli("order", "pick", "MT1")
    assert after.exit_code == 1 and "login" in after.output


def test_a_session_ends_after_the_shift_and_when_the_pin_changes(city_cli: Cli) -> None:
    assert city_cli("login", "U01", env={"OPS_PIN": "1234"}).exit_code == 0
    late = city_cli("order", "assign", "MT1", "S01", env={"OPS_NOW": "2026-11-24T22:01:00+08:00"})
    assert late.exit_code == 1 and "login" in late.output
    changed = city_cli("--operator", "U03", "operators", "set-pin", "U01", env={"OPS_PIN": "1234"},
                       input="5678\n5678\n")
    assert changed.exit_code == 0, changed.output
    assert city_cli("order", "assign", "MT1", "S01").exit_code == 1  # the session was for the old PIN
    assert city_cli("--operator", "U01", "order", "assign", "MT1", "S01", env={"OPS_PIN": "5678"}).exit_code == 0


def test_five_wrong_pins_lock_the_operator_for_15_minutes(city_cli: Cli) -> None:
    for _ in range(4):
        wrong = city_cli("login", "U01", env={"OPS_PIN": "0000"})
        assert wrong.exit_code == 1 and "locked" not in wrong.output
    fifth = city_cli("login", "U01", env={"OPS_PIN": "0000"})
    assert fifth.exit_code == 1 and "锁定" in fifth.output and "10:15" in fifth.output
    right = city_cli("login", "U01", env={"OPS_PIN": "1234", "OPS_NOW": "2026-11-24T10:14:00+08:00"})
    assert right.exit_code == 1 and "锁定" in right.output  # even the right PIN while locked
    later = city_cli("login", "U01", env={"OPS_PIN": "1234", "OPS_NOW": "2026-11-24T10:16:00+08:00"})
    assert later.exit_code == 0, later.output
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    from sqlmodel import select

    from ops_console.storage.db import read_session
    from ops_console.storage.models import Event

    with read_session(ctx.engine) as s:
        locked = list(s.exec(select(Event).where(Event.action == "operator_locked")))
    ctx.close()
    assert [(e.subject_id, e.detail["minutes"]) for e in locked] == [("U01", 15)]


def test_a_right_pin_resets_the_count_of_wrong_ones(city_cli: Cli) -> None:
    for _ in range(4):
        assert city_cli("login", "U01", env={"OPS_PIN": "0000"}).exit_code == 1
    assert city_cli("login", "U01", env={"OPS_PIN": "1234"}).exit_code == 0
    for _ in range(4):
        assert city_cli("login", "U01", env={"OPS_PIN": "0000"}).exit_code == 1
    assert city_cli("login", "U01", env={"OPS_PIN": "1234"}).exit_code == 0


def test_the_last_supervisor_can_be_neither_demoted_nor_deactivated(city_cli: Cli, tmp_path: Path) -> None:
    sup = {"OPS_PIN": "1234", "OPS_OPERATOR": "U03"}
    demote = tmp_path / "ops.csv"
    demote.write_text("operator_id,name,role,pin\nU03,张强,dispatcher,1234\n", encoding="utf-8")
    out = city_cli("operators", "import", str(demote), env=sup)
    assert out.exit_code == 1 and "U03" in out.output
    off = city_cli("operators", "deactivate", "U03", env=sup)
    assert off.exit_code == 1 and "U03" in off.output
    roles = {o["id"]: (o["role"], o["active"]) for o in json.loads(city_cli("operators", "list", "--json").output)}
    assert roles["U03"] == ("supervisor", True)
    # With a second supervisor, the first may go.
    two = tmp_path / "two.csv"
    two.write_text("operator_id,name,role,pin\nU09,周主管,supervisor,9999\n", encoding="utf-8")
    assert city_cli("operators", "import", str(two), env=sup).exit_code == 0
    assert city_cli("operators", "deactivate", "U03", env=sup).exit_code == 0
    # A deactivated operator cannot act any more; a dispatcher cannot (re)activate anyone.
    assert city_cli("operators", "activate", "U03", env=sup).exit_code == 1
    assert city_cli("operators", "activate", "U03", env={"OPS_PIN": "1234", "OPS_OPERATOR": "U01"}).exit_code == 1
    assert city_cli("operators", "activate", "U03", env={"OPS_PIN": "9999", "OPS_OPERATOR": "U09"}).exit_code == 0


def test_an_import_does_not_change_pins_unless_a_supervisor_resets_them(city_cli: Cli, tmp_path: Path) -> None:
    sup = {"OPS_PIN": "1234", "OPS_OPERATOR": "U03"}
    file = tmp_path / "ops.csv"
    file.write_text("operator_id,name,role,pin\nU01,王丽,dispatcher,0000\n", encoding="utf-8")
    out = city_cli("operators", "import", str(file), env=sup)
    assert out.exit_code == 0, out.output
    assert city_cli("login", "U01", env={"OPS_PIN": "0000"}).exit_code == 1
    assert city_cli("login", "U01", env={"OPS_PIN": "1234"}).exit_code == 0
    by_dispatcher = city_cli("operators", "import", str(file), "--reset-pins", env={"OPS_PIN": "1234", "OPS_OPERATOR": "U01"})
    assert by_dispatcher.exit_code == 1
    assert city_cli("operators", "import", str(file), "--reset-pins", env=sup).exit_code == 0
    assert city_cli("login", "U01", env={"OPS_PIN": "0000"}).exit_code == 0


def test_set_pin_own_or_by_a_supervisor(city_cli: Cli) -> None:
    as_u01 = {"OPS_PIN": "1234", "OPS_OPERATOR": "U01"}
    other = city_cli("operators", "set-pin", "U02", env=as_u01, input="5555\n5555\n")
    assert other.exit_code == 1
    own = city_cli("operators", "set-pin", "U01", env=as_u01, input="4321\n4321\n")
    assert own.exit_code == 0, own.output
    assert city_cli("login", "U01", env={"OPS_PIN": "4321"}).exit_code == 0


def test_the_demo_console_on_a_missing_demo_database_fills_the_city_first(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from ops_console.cli.common import state
    from ops_console.cli.root import fill_demo_city
    from ops_console.services.operators import list_operators, sign_in

    monkeypatch.chdir(tmp_path)
    state.reset()
    state.demo = True
    try:
        fill_demo_city()  # what `ops-console --demo` does before the sign-in screen
        ctx = state.ctx()
        assert [o.id for o in list_operators(ctx)] == ["U01", "U02", "U03", "U04", "U05"]
        assert sign_in(ctx, "U01", "1111").id == "U01"  # the README's PINs work
        assert (tmp_path / "data" / "demo.db").exists()
    finally:
        state.reset()
