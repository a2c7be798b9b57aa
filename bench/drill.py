"""The rush-hour drill (issue #14): the demo simulator at 300 orders an hour, 20 % of them with an
address the rules cannot place, against a scripted dispatcher in the console (Pilot) who uses only
the keys `?` lists (tui/keys.py): `1` `2` `3` focus a pane, `g` `j` `k` move, `a` Enter assign with the
preselected suggestion, `p` / `d` start / finish picking, `i` Enter dispatch to the proposed courier.

Simulated time moves on a ManualClock, one minute a step; after every key the driver waits for the
console's own refresh (its reload counter), never for a fixed time. The simulator plays the field
(hand-over, the call, the delivery); picking and dispatch are left to the dispatcher (the store
calls when it has picked: the dispatcher presses `d` `PICK_MINUTES` after `p`).

Measures: the oldest unassigned order's backlog age at every step (goal: never 10 minutes), and the
keys per handled order per step — every key pressed in a pane (focus and movement included) over
the orders handled there (goals: ≤ 3 for a suggested assignment, ≤ 2 per board step). A full run
(`python -m bench.drill`: one simulated hour, `--minutes=N` for another length) writes its section of docs/PERFORMANCE.md; `--quick`
plays a few minutes with no timing figure and is what `make test` and tests/tui/test_drill.py run.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench._report import write_section
from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.demo import district
from ops_console.domain.types import Role
from ops_console.services.context import Actor, AppContext
from ops_console.services.demo import init_demo
from ops_console.services.demo_draws import SimSettings
from ops_console.services.demo_sim import Simulator
from ops_console.storage.db import read_session
from ops_console.storage.models import Order

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, the lunch rush
RATE_PER_HOUR = 300
UNMATCHED_SHARE = 0.20
PICK_MINUTES = 3  # the store calls "picked" this long after `p`
GOAL_BACKLOG_MINUTES = 10.0
GOAL_ASSIGN_KEYS = 3.0
GOAL_BOARD_KEYS = 2.0
ME = Actor("U01", "王丽", Role.DISPATCHER)
NEVER = 10**6  # minutes: the simulator leaves picking, dispatch and the manual queue to the dispatcher
# The field the dispatcher does not play: no reviews failing, no anomalies, no shortages, no escalations.
CALM = SimSettings(rate_per_minute=0.0, p_anomaly=0.0, p_review_fail=0.0, p_requested_time=0.0, p_shortage=0.0,
                   p_busy=0.0, p_cannot_supply=0.0, relief_minutes=(NEVER, NEVER))


@dataclass
class DrillResult:
    minutes: int
    created: int = 0
    unmatched: int = 0
    backlog_ages: list[float] = field(default_factory=list)  # minutes, the oldest unassigned order, per step
    picked_waits: list[float] = field(default_factory=list)  # minutes, the oldest picked order, after each step
    keys: Counter[str] = field(default_factory=Counter)  # per kind of step: keys pressed
    handled: Counter[str] = field(default_factory=Counter)  # per kind of step: orders moved on
    stuck: int = 0  # dialogs that could not confirm with Enter (the dispatcher had to give up)
    wall_s: float = 0.0

    @property
    def max_backlog(self) -> float:
        return max(self.backlog_ages, default=0.0)

    @property
    def max_picked_wait(self) -> float:
        return max(self.picked_waits, default=0.0)

    def per_order(self, kind: str) -> float:
        """Action keys (the key and its dialog's Enter) per order handled."""
        return self.keys[kind] / self.handled[kind] if self.handled[kind] else 0.0

    def all_keys(self, kind: str) -> float:
        """Every key, focus and movement included, per order handled."""
        total = self.keys[kind] + self.keys[f"{kind}_nav"]
        return total / self.handled[kind] if self.handled[kind] else 0.0


class Dispatcher:
    """Presses keys and counts them; waits for the console's refresh after each."""

    def __init__(self, pilot: Any, result: DrillResult) -> None:
        self.pilot = pilot
        self.app = pilot.app
        self.result = result
        self.picking_since: dict[str, datetime] = {}

    @property
    def main(self) -> Any:
        return self.app.main

    async def settle(self) -> None:
        """Every worker done, then one full refresh landed: the panes show the database as it is."""
        main = self.main
        await self.app.workers.wait_for_complete()
        n = main.loads
        main.refresh_now(force=True)
        await self.until(lambda: main.loads > n and not main._loading)

    async def until(self, condition: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the console did not get there")
            await self.pilot.pause(0.01)

    async def press(self, kind: str, key: str, *, nav: bool = False) -> None:
        """`nav`: a key that only focuses or moves (counted apart: it is spread over the rows it passes)."""
        self.result.keys[f"{kind}_nav" if nav else kind] += 1
        await self.pilot.press(key)

    async def dialog(self, kind: str, key: str) -> bool:
        """An action key that opens a dialog, then Enter on what it preselects; False when stuck."""
        main = self.main
        await self.press(kind, key)
        await self.until(lambda: self.app.screen is not main)
        await self.until(lambda: getattr(getattr(self.app.screen, "job", None), "loaded", True))
        await self.press(kind, "enter")
        # Closed, or refused and saying why (a courier at capacity); a form that stops Enter says nothing
        # the driver can read: that gets a few seconds.
        with contextlib.suppress(TimeoutError):
            await self.until(lambda: self.app.screen is main or self.refused(self.app.screen), timeout=3.0)
        if self.app.screen is not main:
            self.result.stuck += 1
            await self.pilot.press("escape")
            await self.until(lambda: self.app.screen is main)
            return False
        await self.settle()
        return True

    @staticmethod
    def refused(dialog: Any) -> bool:
        """Whether the action came back refused and the dialog stays open showing why (tui/screens/base.py)."""
        job = getattr(dialog, "job", None)
        return job is not None and not job.busy and job.attempted and any(not o.ok for o in job.outcomes)

    async def assign_all(self) -> None:
        pane = self.main.panes["unassigned"]
        await self.press("assign", "1", nav=True)
        await self.press("assign", "g", nav=True)
        for _ in range(200):
            row = pane.selected()
            if row is None:
                break
            if row.status != "unassigned":  # manual review is not part of the drill
                break
            if not await self.dialog("assign", "a"):
                break
            self.result.handled["assign"] += 1

    async def move_to(self, kind: str, pane: Any, key: str) -> bool:
        """Movement keys until the cursor is on the row `key` (as a person who sees it on screen would
        go there: `g` when it is the first order or nearer the top than the cursor, else `j` / `k`)."""
        for _ in range(2 * pane.row_count + 2):
            order = [r.key.value for r in pane.ordered_rows]
            current = pane.current_key()
            if current == key:
                return True
            if key not in order:
                return False
            first = next(i for i, k in enumerate(order) if is_order(pane, k))
            target, at = order.index(key), order.index(current) if current in order else 0
            if target < at and target - first < at - target:
                await self.press(kind, "g", nav=True)
            else:
                await self.press(kind, "j" if target > at else "k", nav=True)
        return False

    def next_row(self, pane: Any, ready: Any, passed: set[str]) -> str | None:
        """The first row on screen, top down, that the dispatcher has to act on now and has not tried."""
        for r in pane.ordered_rows:
            item = pane.items.get(r.key.value)
            if is_order(pane, r.key.value) and item.key not in passed and ready(item):
                return str(item.key)
        return None

    async def board_steps(self, now: datetime) -> None:
        """Pane 2: `p` on assigned orders, `d` on orders the store has picked; pane 3: `i` Enter. The
        dispatcher goes from one row ready for a key to the next, top down (rows move when acted on: a
        dispatched order goes down to its stage with the cursor), and leaves the pane when none is left:
        it does not walk past the orders that wait for the store or are on the road."""

        def ready_on_picking(row: Any) -> bool:
            if row.status == "assigned":
                return True
            since = self.picking_since.get(row.order_no, now)
            return row.status == "picking" and now - since >= timedelta(minutes=PICK_MINUTES)

        pane = self.main.panes["picking"]
        await self.press("board", "2", nav=True)
        passed: set[str] = set()
        for _ in range(400):
            key = self.next_row(pane, ready_on_picking, passed)
            if key is None or not await self.move_to("board", pane, key):
                break
            passed.add(key)
            row = pane.selected()
            await self.press("board", "p" if row.status == "assigned" else "d")
            if row.status == "assigned":
                self.picking_since[row.order_no] = now
            await self.settle()
            self.result.handled["board"] += 1
        board = self.main.panes["board"]
        await self.press("board", "3", nav=True)
        passed.clear()
        for _ in range(400):
            key = self.next_row(board, has_courier, passed)
            if key is None or not await self.move_to("board", board, key):
                break
            passed.add(key)
            if await self.dialog("board", "i"):
                self.result.handled["board"] += 1


def has_courier(row: Any) -> bool:
    """A picked order whose proposal names a courier: the board shows `—` where nobody is free, and the
    dispatcher leaves that order until someone is (Enter would only be refused: at capacity)."""
    return bool(row.status == "picked" and (row.proposal is None or row.proposal[1] is not None))


def is_order(pane: Any, key: str | None) -> bool:
    """A row of the pane that is an order (not a section heading)."""
    from ops_console.tui.panes.base import Heading

    return key is not None and key in pane.items and not isinstance(pane.items[key], Heading)


def oldest_unassigned(ctx: AppContext) -> float:
    with read_session(ctx.engine) as s:
        since = s.exec(select(func.min(Order.unassigned_at)).where(Order.status == "unassigned")).one()[0]  # type: ignore[call-overload]
    return minutes_since(ctx, since)


def oldest_picked(ctx: AppContext) -> float:
    """How long the oldest order the store has picked has waited for a courier (the dispatcher's `i`)."""
    with read_session(ctx.engine) as s:
        since = s.exec(select(func.min(Order.picked_at)).where(Order.status == "picked")).one()[0]  # type: ignore[call-overload]
    return minutes_since(ctx, since)


def minutes_since(ctx: AppContext, since: datetime | None) -> float:
    if since is None:
        return 0.0
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return (ctx.clock.now() - since).total_seconds() / 60


async def drill(minutes: int, seed: int = 14, folder: Path | None = None) -> DrillResult:
    from ops_console.tui.app import OpsConsoleApp

    own = folder is None  # a folder of its own is removed after the run; a caller's is the caller's
    folder = folder or Path(tempfile.mkdtemp(prefix="bench-drill-"))
    clock = ManualClock(T0)
    ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{folder / 'drill.db'}")
    init_demo(ctx, seed=seed, history_hours=0.0)
    rng = random.Random(seed)
    sim = Simulator(ctx, random.Random(seed + 1), CALM)
    result = DrillResult(minutes)
    started = time.perf_counter()
    app = OpsConsoleApp(ctx, actor=ME, database="drill.db", poll_seconds=0.05, scheduler=False)
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            await Dispatcher(pilot, result).until(lambda: app.main is not None and app.main.loads > 0)
            me = Dispatcher(pilot, result)
            for _ in range(minutes):
                clock.advance(minutes=1)
                now = clock.now()
                for _ in range(rng_poisson(rng, RATE_PER_HOUR / 60)):
                    unmatched = rng.random() < UNMATCHED_SHARE
                    address = district.random_address(rng, {"typo": 1.0} if unmatched else {"clean": 1.0})
                    if sim.create_order(now, address=address, pick_start=NEVER, dispatch_wait=NEVER,
                                        relief_after=NEVER) is not None:
                        result.created += 1
                        result.unmatched += unmatched
                sim.step(now)
                await me.settle()
                result.backlog_ages.append(oldest_unassigned(ctx))
                await me.assign_all()
                await me.board_steps(now)
                result.picked_waits.append(oldest_picked(ctx))
    finally:
        ctx.close()
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    result.wall_s = time.perf_counter() - started
    return result


def rng_poisson(rng: random.Random, mean: float) -> int:
    from ops_console.services.demo_draws import poisson

    return poisson(rng, mean)


def report(r: DrillResult) -> str:
    def verdict(value: float, goal: float) -> str:
        return f"{value:.2f} (goal ≤ {goal:g}: {value / goal:.2f} of it, {'met' if value <= goal else 'NOT met'})"

    return "\n".join([
        f"{r.minutes} simulated minutes at {RATE_PER_HOUR} orders an hour: {r.created} orders, {r.unmatched} of them "
        f"with an address the rules cannot place ({UNMATCHED_SHARE:.0%} drawn); a scripted dispatcher in a "
        f"headless console of 200×50 using only the keys of `?`; the store reports picked {PICK_MINUTES} min after `p`.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| max backlog age (oldest unassigned order, any step) | {r.max_backlog:.1f} min (goal < "
        f"{GOAL_BACKLOG_MINUTES:g}: {'met' if r.max_backlog < GOAL_BACKLOG_MINUTES else 'NOT met'}) |",
        f"| longest wait of a picked order for its courier after the dispatcher's turn (any step) | "
        f"{r.max_picked_wait:.1f} min |",
        f"| suggested assignments | {r.handled['assign']} orders, {r.keys['assign']} action keys, "
        f"{r.keys['assign_nav']} focus / movement keys |",
        f"| keys per suggested assignment (`a` Enter) | {verdict(r.per_order('assign'), GOAL_ASSIGN_KEYS)} |",
        f"| the same with focus and movement spread over them | {r.all_keys('assign'):.2f} |",
        f"| board steps (`p`, `d`, `i` Enter) | {r.handled['board']} steps, {r.keys['board']} action keys, "
        f"{r.keys['board_nav']} focus / movement keys |",
        f"| keys per board step | {verdict(r.per_order('board'), GOAL_BOARD_KEYS)} |",
        f"| the same with focus and movement (`2` `3`, `g` `j` `k` to the next row ready) | {r.all_keys('board'):.2f} |",
        f"| dialogs Enter could not confirm | {r.stuck} |",
        f"| wall time of the drill | {r.wall_s:.0f} s |",
    ])


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    minutes = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("--minutes=")), 4 if quick else 60)
    result = asyncio.run(drill(minutes))
    text = report(result)
    print(text)
    if not quick:
        write_section("drill", "Rush-hour drill: backlog and keys per order", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
