"""`order propose`, `order dispatch --courier --override-reason`, `service …`, `cash show` from the command line."""

from __future__ import annotations

import json

import pytest

from ops_console.clock import ManualClock
from ops_console.config import load_settings
from ops_console.services.context import AppContext
from ops_console.storage.db import write_session
from ops_console.storage.models import Courier
from tests.conftest import T0
from tests.factories import new_order, seed_city

pytestmark = pytest.mark.usefixtures("seed_pin")  # these tests act as people, who must prove it


def _city(capacity: int = 1) -> None:
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    with write_session(ctx.engine) as s:
        c = s.get(Courier, "C01")
        c.capacity = capacity
        s.add(c)
    for no in ("MT1", "MT2"):
        new_order(ctx, no, payment="cod")
    ctx.close()


def test_propose_then_capacity_refusal_and_override(cli) -> None:
    _city()
    for no in ("MT1", "MT2"):
        for cmd in (["assign", no, "S01"], ["pick", no], ["picked", no]):
            assert cli("--operator", "U01", "order", *cmd).exit_code == 0
    proposal = cli("order", "propose", "MT1", "--json")
    assert proposal.exit_code == 0, proposal.output
    assert json.loads(proposal.stdout) == {"tier": "company", "courier_id": "C01", "reason": None}
    assert cli("--operator", "U01", "order", "dispatch", "MT1", "--courier", "C01").exit_code == 0
    assert json.loads(cli("order", "propose", "MT2", "--json").stdout) == {
        "tier": "third_party", "courier_id": "C03", "reason": "courier_at_capacity"}
    refused = cli("--operator", "U01", "order", "dispatch", "MT2", "--courier", "C01")
    assert refused.exit_code == 1 and "C01" in refused.output and "MT1" in refused.output
    assert "Traceback" not in refused.output
    forced = cli("--operator", "U01", "order", "dispatch", "MT2", "--courier", "C01", "--override-reason", "同楼顺路")
    assert forced.exit_code == 0, forced.output
    events = json.loads(cli("order", "show", "MT2", "--json").stdout)["events"]
    assert events[-1]["detail"]["override_reason"] == "同楼顺路"
    not_picked = cli("order", "propose", "MT2")
    assert not_picked.exit_code == 1 and "MT2" in not_picked.output


def test_service_request_and_cash_from_the_command_line(cli) -> None:
    _city(capacity=3)
    for cmd in (["assign", "MT1", "S01"], ["pick", "MT1"], ["picked", "MT1"], ["dispatch", "MT1", "C01"],
                ["handover", "MT1", "--receipt", "R1", "--amount", "6.83"], ["call", "MT1", "--outcome", "now"],
                ["deliver", "MT1"]):
        assert cli("--operator", "U01", "order", *cmd).exit_code == 0, cmd
    opened = cli("--operator", "U02", "service", "open", "MT1", "--type", "return", "--reason", "quality",
                 "--text", "菜不新鲜", "--json")
    assert opened.exit_code == 0, opened.output
    sr = json.loads(opened.stdout)
    assert (sr["status"], set(sr) >= {"id", "status"}) == ("requested", True)
    rid = str(sr["id"])
    refused = cli("--operator", "U01", "service", "confirm", rid)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    for step in ("confirm", "contact", "pickup"):
        assert cli("--operator", "U02", "service", step, rid).exit_code == 0, step
    bad = cli("--operator", "U02", "service", "refund", rid, "--method", "cash", "--courier", "C01", "--amount", "1.234")
    assert bad.exit_code == 2
    paid = cli("--operator", "U02", "service", "refund", rid, "--method", "cash", "--courier", "C01", "--amount", "2.00")
    assert paid.exit_code == 0, paid.output
    (listed,) = json.loads(cli("service", "list", "--json").stdout)
    assert {k: listed[k] for k in ("id", "order_no", "type", "status", "refund_method", "refund_amount")} == {
        "id": sr["id"], "order_no": "MT1", "type": "return", "status": "refunded", "refund_method": "cash",
        "refund_amount": "2.00"}
    assert "deadline" in listed
    assert cli("--operator", "U02", "service", "close", rid).exit_code == 0
    assert json.loads(cli("service", "list", "--json").stdout) == []
    assert len(json.loads(cli("service", "list", "--all", "--json").stdout)) == 1

    cash = json.loads(cli("cash", "show", "--json").stdout)
    assert cash["date"] == "2026-11-24"
    (c01,) = cash["couriers"]
    assert (c01["courier_id"], c01["float"], c01["cod_collected"], c01["refunds_paid"], c01["expected"]) == (
        "C01", "200.00", "6.83", "2.00", "204.83")
    assert json.loads(cli("cash", "show", "--date", "2026-11-23", "--json").stdout)["couriers"] == []
    assert cli("cash", "show", "--date", "24/11").exit_code == 2
    table = cli("cash", "show")
    assert table.exit_code == 0 and "204.83" in table.output
    listed_table = cli("service", "list", "--all")
    assert listed_table.exit_code == 0 and "MT1" in listed_table.output


def test_exchange_prints_the_replacement_order(cli) -> None:
    _city(capacity=3)
    for cmd in (["assign", "MT1", "S01"], ["pick", "MT1"], ["picked", "MT1"], ["dispatch", "MT1", "C01"],
                ["handover", "MT1", "--receipt", "R1"], ["call", "MT1", "--outcome", "now"], ["deliver", "MT1"]):
        assert cli("--operator", "U01", "order", *cmd).exit_code == 0, cmd
    sr = json.loads(cli("--operator", "U02", "service", "open", "MT1", "--type", "exchange", "--reason", "quality",
                        "--text", "换一份", "--json").stdout)
    for step in ("confirm", "contact"):
        assert cli("--operator", "U02", "service", step, str(sr["id"])).exit_code == 0
    out = cli("--operator", "U02", "service", "exchange", str(sr["id"]), "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["order_no"] == "MT1-X1"
    assert json.loads(cli("order", "show", "MT1-X1", "--json").stdout)["status"] == "assigned"


def test_help_of_the_new_commands(cli) -> None:
    for args in (["service", "--help"], ["service", "refund", "--help"], ["cash", "show", "--help"],
                 ["order", "propose", "--help"], ["cash", "compensate", "--help"]):
        result = cli(*args)
        assert result.exit_code == 0 and "Usage" in result.output, args
