"""The command line: help for every command, operators, order actions as an operator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.factories import new_order, seed_city
from tests.proc import default_signals


def test_help_lists_every_command_with_a_description() -> None:
    proc = subprocess.run([sys.executable, "-m", "ops_console", "--help"], capture_output=True, text=True,
                          preexec_fn=default_signals,
                          env={"OPS_UI__LANGUAGE": "en", "COLUMNS": "120", "PATH": ""}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for command in ("status", "operators", "order", "db"):
        line = next(li for li in proc.stdout.splitlines() if f" {command} " in li)
        assert len(line.split(command, 1)[1].strip(" │")) > 5, line  # has a one-line description


def test_every_subcommand_has_help(cli) -> None:
    for args in (["order", "--help"], ["order", "assign", "--help"], ["operators", "add", "--help"],
                 ["db", "upgrade", "--help"], ["status", "--help"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_operators_add_list_and_supervisor_rule(cli, tmp_path: Path) -> None:
    # An empty database can be filled by anyone; after that, only a supervisor adds operators.
    assert cli("operators", "add", "U09", "周主管", "supervisor", "--pin", "9999").exit_code == 0
    refused = cli("operators", "add", "U10", "吴", "dispatcher", "--pin", "1234")
    assert refused.exit_code == 1 and "主管" in refused.output
    ok = cli("--operator", "U09", "operators", "add", "U10", "吴", "dispatcher", "--pin", "1234", env={"OPS_PIN": "9999"})
    assert ok.exit_code == 0, ok.output
    listed = json.loads(cli("operators", "list", "--json").output)
    assert [(o["id"], o["role"]) for o in listed] == [("U09", "supervisor"), ("U10", "dispatcher")]
    bad = tmp_path / "ops.csv"
    bad.write_text("operator_id,name,role,pin\nU11,郑,dispatcher,1234\nU12,王,boss,1234\nU13,,dispatcher,12\n",
                   encoding="utf-8")
    result = cli("--operator", "U09", "operators", "import", str(bad), env={"OPS_PIN": "9999"})
    assert result.exit_code == 1
    assert "row 3" in result.output and "boss" in result.output and "row 4" in result.output
    assert len(json.loads(cli("operators", "list", "--json").output)) == 3  # the good row was kept


def test_order_actions_as_an_operator(cli, tmp_path: Path) -> None:
    from ops_console.clock import ManualClock
    from ops_console.config import load_settings
    from ops_console.services.context import AppContext
    from tests.conftest import T0

    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    new_order(ctx, "MT1")
    ctx.close()
    no_operator = cli("order", "assign", "MT1", "S01")
    assert no_operator.exit_code == 1 and "OPS_OPERATOR" in no_operator.output
    as_cs = cli("--operator", "U02", "order", "assign", "MT1", "S01", env={"OPS_PIN": "1234"})
    assert as_cs.exit_code == 1 and "无权" in as_cs.output
    done = cli("order", "assign", "MT1", "S01", env={"OPS_OPERATOR": "U01", "OPS_PIN": "1234"})
    assert done.exit_code == 0, done.output
    again = cli("--operator", "U03", "order", "assign", "MT1", "S02", env={"OPS_PIN": "1234"})
    assert again.exit_code == 1 and "王丽" in again.output and "阳光店" in again.output
    shown = json.loads(cli("order", "show", "MT1", "--json").output)
    assert shown["status"] == "assigned" and shown["phone"] == "138****1234"
    assert [e["action"] for e in shown["events"]] == ["receive", "review_pass", "assign"]
    assert shown["events"][-1]["actor"] == "U01"
    missing = cli("--operator", "U01", "order", "pick", "NOPE", env={"OPS_PIN": "1234"})
    assert missing.exit_code == 1 and "NOPE" in missing.output and "Traceback" not in missing.output


def test_couriers_on_and_off_duty_as_an_operator(cli) -> None:
    from ops_console.clock import ManualClock
    from ops_console.config import load_settings
    from ops_console.services.context import AppContext
    from tests.conftest import T0

    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    ctx.close()
    off = cli("--operator", "U01", "couriers", "off", "C01", "C99", env={"OPS_PIN": "1234"})
    assert off.exit_code == 1  # C99 does not exist: said, and C01 still done
    assert "C99" in off.output and "下岗" in off.output
    couriers = {c["courier_id"]: c for c in json.loads(cli("couriers", "list", "--json").output)}
    assert couriers["C01"]["on_duty"] is False
    assert cli("--operator", "U02", "couriers", "on", "C01", env={"OPS_PIN": "1234"}).exit_code == 1  # customer service may not
    assert cli("--operator", "U03", "couriers", "on", "C01", env={"OPS_PIN": "1234"}).exit_code == 0
    couriers = {c["courier_id"]: c for c in json.loads(cli("couriers", "list", "--json").output)}
    assert couriers["C01"]["on_duty"] is True


def test_match_reads_a_gbk_stores_file(cli, tmp_path: Path) -> None:
    stores = tmp_path / "stores.csv"
    stores.write_bytes("store_id,name,kind,phone,keywords\nS01,阳光店,self,1,阳光小区|朝阳路\n".encode("gb18030"))
    result = cli("match", "--stores", str(stores), "阳光小区3栋")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert (row["store_id"], row["auto"]) == ("S01", True)


def test_unreachable_database_is_one_clear_line(cli) -> None:
    result = cli("status", env={"OPS_DATABASE__URL": "postgresql://postgres@127.0.0.1:9/none"})
    assert result.exit_code == 1
    assert "127.0.0.1:9/none" in result.output and "Traceback" not in result.output
