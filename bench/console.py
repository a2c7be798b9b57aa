"""The console at size: 10,000 open orders over 200 stores (`--quick`: 300 over 20, no timing goals).

Measures, in a headless app of 200×50:
- key → screen: from posting a key event to the next frame the driver writes (the real path: the
  binding, the widget update, the compositor), for cursor moves, tagging, sorting, pane focus;
- one reload after 20 orders changed: the worker's part (the poll, the new events, the touched
  orders' rows, the windows patched: `LiveView.refresh`), the UI's part (the changed rows into the
  tables) and the time until the frame is written, separately;
- for the record, filling one built-in DataTable with every unassigned order at once (what the
  window of `DEFAULT_WINDOW` rows avoids).
Writes its section of docs/PERFORMANCE.md on a full run.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench._report import write_section
from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import ON_THE_ROAD, Action, Role
from ops_console.services import panes as pane_service
from ops_console.services.context import Actor, AppContext
from ops_console.services.lifecycle import perform
from ops_console.services.operators import hash_pin
from ops_console.storage.db import write_session
from ops_console.storage.models import Courier, Event, Operator, Order, OrderLine, Sku, Store

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
GOAL_KEY_MS = 50.0
GOAL_RELOAD_MS = 20.0
SPREAD = (  # status, share of open orders
    ("unassigned", 0.30), ("manual_review", 0.02), ("assigned", 0.10), ("picking", 0.15), ("picked", 0.13),
    ("dispatched", 0.10), ("held", 0.05), ("out_for_delivery", 0.12), ("refused", 0.02), ("not_completed", 0.01),
)
ME = Actor("U01", "bench", Role.DISPATCHER)


def seed(ctx: AppContext, orders: int, stores: int, rng: random.Random) -> None:
    """Master data and open orders straight through SQLAlchemy Core (the ORM is 7× slower in bulk)."""
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        s.execute(insert(Store), [{"id": f"S{i:03d}", "name": f"店{i:03d}", "kind": "self", "phone": "",
                                   "active": True} for i in range(stores)])
        couriers = []
        for i in range(stores):
            couriers.append({"id": f"C{i:03d}", "name": f"员{i:03d}", "tier": "company", "store_id": f"S{i:03d}",
                             "phone": "", "capacity": 3, "active": True, "on_duty": True})
        for i, tier in enumerate(("third_party", "store_staff", "emergency") * 10):
            couriers.append({"id": f"X{i:03d}", "name": f"外{i:03d}", "tier": tier, "store_id": None, "phone": "",
                             "capacity": 5, "active": True, "on_duty": True})
        s.execute(insert(Courier), couriers)
        s.execute(insert(Sku), [{"code": f"K{i}", "name": f"货{i}", "category": cat, "unit": "", "step": 1,
                                 "price": 500, "stock": 10**6}
                                for i, cat in enumerate(("produce", "chilled", "frozen", "default"))])
        s.execute(insert(Operator), [{"id": "U01", "name": "bench", "role": "dispatcher",
                                      "pin_hash": hash_pin("1234"), "active": True}])
        rows, lines, events = [], [], []
        statuses = [st for st, share in SPREAD for _ in range(round(share * orders))][:orders]
        statuses += ["unassigned"] * (orders - len(statuses))
        for n, status in enumerate(statuses, start=1):
            age = timedelta(seconds=rng.randint(30, 3 * 3600))
            entered = now - age
            store = f"S{rng.randrange(stores):03d}" if status not in ("unassigned", "manual_review") else None
            tier = "company" if status not in ("unassigned", "manual_review", "assigned", "picking") else None
            courier = (f"C{int(store[1:]):03d}" if store and status in ON_THE_ROAD
                       else None)
            rows.append({
                "id": n, "channel": "meituan", "order_no": f"MT{n:07d}", "kind": "customer", "status": status,
                "version": 2, "customer_name": "客", "phone": "13800000000", "address": f"某路{n}号",
                "store_id": store, "suggestions": [{"store_id": f"S{rng.randrange(stores):03d}", "score": 0.7}]
                if status == "unassigned" else [], "payment_method": "online", "payment_status": "paid",
                "amount": 1000, "paid_amount": 1000, "remarks": "", "urgent": rng.random() < 0.05, "custom": False,
                "tier": tier, "courier_id": courier, "fingerprint": "", "source": "bench", "placed_at": entered,
                "received_at": entered, "status_entered_at": entered,
                "unassigned_at": entered if status == "unassigned" else None,
                "assigned_at": entered if store else None, "picked_at": entered if tier else None,
                "dispatched_at": entered if courier else None,
                "out_for_delivery_at": entered if status == "out_for_delivery" else None,
                "updated_at": entered, "updated_by": "system",
            })
            lines.append({"order_id": n, "line_no": 1, "sku": "K0", "name": "货", "spec": "",
                          "category": rng.choice(("produce", "chilled", "frozen", "default")), "qty": 1, "unit": "",
                          "unit_price": 1000, "step": 1})
            events.append({"at": entered, "actor": "system", "actor_role": "system", "subject_type": "order",
                           "subject_id": str(n), "order_id": n, "action": "receive", "to_status": status,
                           "detail": {}})
        s.execute(insert(Order), rows)
        s.execute(insert(OrderLine), lines)
        s.execute(insert(Event), events)


class FrameClock:
    """Wraps the app's display step: a headless app skips the terminal, so the wrapper renders each
    compositor update to the terminal sequence a real screen would get and notes when it was done."""

    def __init__(self, app: Any) -> None:
        self.last = 0.0
        self.frames = 0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)
                self.last = time.perf_counter()
                self.frames += 1

        app._display = display

    async def wait_after(self, started: float, timeout: float = 5.0) -> float:
        deadline = started + timeout
        while self.last <= started:
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame was written")
            await asyncio.sleep(0.0005)
        return (self.last - started) * 1000


async def key_to_screen(app: Any, frames: FrameClock, key: str) -> float:
    from textual import events

    await asyncio.sleep(0.05)  # let the previous frame go out
    started = time.perf_counter()
    app.post_message(events.Key(key, None if len(key) > 1 else key))
    return await frames.wait_after(started)


async def run(quick: bool) -> dict[str, Any]:
    from ops_console.tui.app import OpsConsoleApp

    orders, stores = (300, 20) if quick else (10_000, 200)
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    clock = ManualClock(T0)
    ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{tmp / 'console.db'}")
    started = time.perf_counter()
    seed(ctx, orders, stores, rng)
    seed_s = time.perf_counter() - started
    out: dict[str, Any] = {"orders": orders, "stores": stores, "seed_s": seed_s, "keys": {}}

    app = OpsConsoleApp(ctx, actor=ME, database="bench.db", poll_seconds=3600, scheduler=False)  # we drive reloads
    async with app.run_test(size=(200, 50)) as pilot:
        while app.main is None or app.main.loads == 0:
            await pilot.pause(0.05)
        main = app.main
        out["first_load_ms"] = main.last_load_ms
        frames = FrameClock(app)
        main.panes["unassigned"].move_cursor(row=1)  # the first order (row 0 is the section heading)
        await pilot.pause()
        rounds = 5 if quick else 30
        for name, key_seq in (("cursor down", ["down"]), ("cursor up", ["up"]), ("tag (Space)", ["space"]),
                              ("sort (>)", ["greater_than_sign"]), ("focus pane (2, 1)", ["2", "1"])):
            samples = []
            for _ in range(rounds):
                for key in key_seq:
                    samples.append(await key_to_screen(app, frames, key))
            out["keys"][name] = samples
        await pilot.press("less_than_sign")  # back to the default order
        # One reload after 20 orders changed: assign 20 unassigned orders to stores.
        reload_q, reload_ui, reload_total = [], [], []
        touched: set[str] = set()
        live = main.live  # the refresh worker's view; its poll is off (poll_seconds), so the bench drives it
        patched, reloaded = live.patched, live.reloaded
        for _ in range(3 if quick else 10):
            with ctx.engine.connect() as conn:
                ids = [r[0] for r in conn.execute(select(Order.id).where(Order.status == "unassigned")
                                                  .order_by(Order.id.desc()).limit(20))]
            for oid in ids:
                perform(ctx, oid, Action.ASSIGN, ME, store_id=f"S{rng.randrange(stores):03d}")
            await asyncio.sleep(0.05)  # let the previous frame go out
            t0 = time.perf_counter()
            snap = live.refresh(ctx)
            t1 = time.perf_counter()
            assert snap is not None
            main.apply_snapshot(snap)
            main.mark = snap.mark
            t2 = time.perf_counter()
            await frames.wait_after(t2 - 1e-9)
            t3 = time.perf_counter()
            reload_q.append((t1 - t0) * 1000)
            reload_ui.append((t2 - t1) * 1000)
            reload_total.append((t3 - t0) * 1000)
            touched |= set(snap.panes)
        out["touched"] = sorted(touched)
        out["patched"] = (live.patched - patched, live.reloaded - reloaded)
        out["reload_query"] = reload_q
        out["reload_ui"] = reload_ui
        out["reload_total"] = reload_total
        out["rows_shown"] = {pid: p.row_count for pid, p in main.panes.items()}
    if not quick:
        out["full_table_s"] = await fill_full_table(ctx)
    ctx.close()
    return out


async def fill_full_table(ctx: AppContext) -> float:
    """Every unassigned order in one built-in DataTable: what the window avoids (for the record)."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    snap = pane_service.load(ctx, [pane_service.UNASSIGNED], window=100_000)
    rows = [(r.order_no, r.address, str(r.amount)) for r in snap.panes[pane_service.UNASSIGNED].rows]

    class Full(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = Full()
    async with app.run_test(size=(200, 50)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("order", "address", "amount")
        started = time.perf_counter()
        table.add_rows(rows)
        await pilot.pause()
        await pilot.pause()
        return time.perf_counter() - started, len(rows)  # type: ignore[return-value]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(out: dict[str, Any]) -> str:
    lines = [
        f"{out['orders']:,} open orders over {out['stores']} stores (seeded in {out['seed_s']:.1f} s), "
        f"headless app 200×50, window of {pane_service.DEFAULT_WINDOW} rows per pane section; rows in each pane "
        f"after the reloads: {', '.join(f'{k} {v}' for k, v in out['rows_shown'].items())} (a window gives up "
        f"the rows that leave it, down to 90 % of its size, before it is loaded whole again).",
        "",
        "| key → screen (next frame written) | median ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for name, samples in out["keys"].items():
        lines.append(f"| {name} | {statistics.median(samples):.1f} | {pct(samples, 0.95):.1f} | {max(samples):.1f} |")
    lines += [
        "",
        f"One reload after 20 orders changed (assigned; panes touched: {', '.join(out['touched'])}; "
        f"{out['patched'][0]} pane updates patched in place, {out['patched'][1]} loaded whole):",
        "",
        "| part | median ms | max ms |",
        "|---|---:|---:|",
        f"| worker: poll, new events, touched orders' rows, windows patched | "
        f"{statistics.median(out['reload_query']):.1f} | {max(out['reload_query']):.1f} |",
        f"| UI: the changed rows into the tables | {statistics.median(out['reload_ui']):.1f} | "
        f"{max(out['reload_ui']):.1f} |",
        f"| total, until the frame is written | {statistics.median(out['reload_total']):.1f} | "
        f"{max(out['reload_total']):.1f} |",
        "",
        f"First full load of all four panes and the header: {out['first_load_ms']:.0f} ms (in the worker).",
    ]
    if "full_table_s" in out:
        secs, n = out["full_table_s"]
        lines.append(f"For the record: one built-in DataTable filled with all {n:,} unassigned orders at once "
                     f"takes {secs:.2f} s before the next frame, hence the window.")
    key_median = max(statistics.median(s) for s in out["keys"].values())
    reload_median = statistics.median(out["reload_total"])
    lines += ["", f"Goals: key → screen < {GOAL_KEY_MS:.0f} ms (worst median {key_median:.1f} ms: "
              f"{'met' if key_median < GOAL_KEY_MS else 'NOT met'}); reload < {GOAL_RELOAD_MS:.0f} ms "
              f"(median {reload_median:.1f} ms: {'met' if reload_median < GOAL_RELOAD_MS else 'NOT met'}).",
              "",
              "Where the time goes: a reload reads the events after the last one seen (a range of the primary "
              "key), the touched orders' rows by id, one count per status and only the header facts those events "
              "can change, and patches each pane's window in the worker (off the UI thread); the UI then rebuilds "
              "and compares only the changed rows and section headings. The panes keep rendered lines and cells "
              "while their cell objects and look are unchanged (the built-in DataTable renders every visible line "
              "again after any change, 0.2-1 ms a line), so a frame re-renders the changed lines; the rest of "
              "'until the frame' is the compositor (borders, scrollbars, header) and Textual's 60 fps frame pacing. "
              "Switching the focused pane changes its border, title and cursor bar only (no tint over the whole "
              "table), so it re-renders two cursor lines. The machine is shared with other benches and test runs, "
              "and a full garbage collection (about 60 ms at this size) landing in a sample shows in p95/max."]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    out = asyncio.run(run(quick))
    text = report(out)
    print(text)
    if not quick:
        write_section("console", "Console: key to screen and pane reloads", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
