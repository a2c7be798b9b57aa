"""`order shortage --line --available`: the CLI marks the line as the console's form does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ops_console.clock import ManualClock
from ops_console.config import load_settings
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import perform
from tests.conftest import DISPATCHER, T0
from tests.factories import new_order, seed_city

PIN = {"OPS_PIN": "1234"}


def test_order_shortage_marks_the_line_and_lowers_the_amount(cli: Callable[..., Any]) -> None:
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    oid = new_order(ctx, "MT1", qty=4, payment="cod").order_id
    perform(ctx, oid, Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, oid, Action.START_PICKING, DISPATCHER)
    ctx.close()
    bad = cli("--operator", "U01", "order", "shortage", "MT1", "--resolution", "partial", "--line", "1",
              "--available", "4", env=PIN)
    assert bad.exit_code == 1 and "4" in bad.output
    done = cli("--operator", "U01", "order", "shortage", "MT1", "--resolution", "partial", "--line", "1",
               "--available", "3", env=PIN)
    assert done.exit_code == 0, done.output
    shown = json.loads(cli("order", "show", "MT1", "--json").output)
    assert shown["amount"] == "10.50"
    assert shown["events"][-1]["detail"]["amount_after"] == "10.50"
