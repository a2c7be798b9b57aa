"""The live panes read the same on PostgreSQL as on SQLite (their hot statements are built once,
pick windows of ids first and count per status: each of those is plain SQL both must agree on)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.services import panes as pane_service
from ops_console.services.context import AppContext
from tests.conftest import T0
from tests.pg import postgres_url
from tests.tui.conftest import build_shift


def _panes(url: str) -> dict[str, Any]:
    clock = ManualClock(T0)
    ctx = AppContext.open(Settings(), clock, url=url)
    try:
        ids = build_shift(ctx, clock)
        by_id = {v: k for k, v in ids.items()}
        snap = pane_service.load(ctx)
        again = pane_service.load(ctx)  # the picking clocks now come from the per-process memo
        assert again.picking_deadlines == snap.picking_deadlines
        out: dict[str, Any] = {
            name: [(by_id.get(r.order_id, r.order_id) if hasattr(r, "order_id") else None,
                    {k: v for k, v in asdict(r).items() if k not in ("id", "order_id", "version")})
                   for r in data.rows]
            for name, data in snap.panes.items()
        }
        out["totals"] = {name: data.total for name, data in snap.panes.items()}
        out["deadlines"] = snap.picking_deadlines
        out["header"] = {k: v for k, v in asdict(snap.header).items() if not k.endswith("_id")}
        return out
    finally:
        ctx.close()


@pytest.mark.postgres
def test_postgres_panes_match_sqlite(tmp_path: Path) -> None:
    on_pg = _panes(postgres_url())
    on_sqlite = _panes(f"sqlite:///{tmp_path / 'ops.db'}")
    assert on_pg["totals"] == on_sqlite["totals"]
    assert on_pg["deadlines"] == on_sqlite["deadlines"]
    assert on_pg["header"] == on_sqlite["header"]
    for name in ("unassigned", "picking", "board"):
        assert [r[1]["order_no"] for r in on_pg[name]] == [r[1]["order_no"] for r in on_sqlite[name]], name
    assert [(r[1]["kind"], r[1]["status"]) for r in on_pg["alerts"]] == \
        [(r[1]["kind"], r[1]["status"]) for r in on_sqlite["alerts"]]
    assert (on_pg["totals"]["picking"], on_pg["totals"]["unassigned"], on_pg["totals"]["board"]) == (2, 4, 3)
