"""A year-sized database: the console's pane queries and the closeout of a busy day, at 100k and 1M orders.

    .venv/bin/python -m bench.scale            # full run (minutes), rewrites its section of docs/PERFORMANCE.md
    .venv/bin/python -m bench.scale --quick    # a few thousand orders, seconds, writes nothing
    .venv/bin/python -m bench.scale --history 100000   # a full run that stops at this much history
    .venv/bin/python -m bench.scale --only postgres    # one engine (prints, writes nothing)

With OPS_TEST_POSTGRES_URL set, every run (`--quick` too) is made on SQLite and then on a PostgreSQL
database of its own beside that URL's (bench/_pg.py: created for the run, dropped after; an
unreachable server fails the run at once), and the section has a part for each.

The database (SQLite in WAL mode, or PostgreSQL) is built with the bulk path (storage/bulk.py
`insert_rows`, Core executemany): 200 stores with a company courier each and 30 couriers of the other tiers; a history
of closed orders spread over the year before the day (one line and one `receive` event each); the
day to close: 50,000 orders with their whole event chain (receive, review_pass, assign, picking,
picked, dispatch, out for delivery, delivered and for most confirm; 5 % refused or failed, then
cancelled), written to the log in time order, their
delivery attempts and the COD cash ledger; 3,000 orders open the next morning (the console's
panes), 300 reminders and 300 anomalies open.

Measured:
- the four panes and the header, each as the queries of storage/pane_queries.py the console runs
  (unassigned: the two queue sections; picking: the clocks and the 150 most urgent rows; board;
  alerts: reminders and anomalies; header: counts, backlog age, couriers, appointments…), against
  the very same SQL text and parameters replayed on the DB-API cursor (captured from the engine);
  median of repeated runs, warm cache;
- `closeout` of the 50,000-order day: checks, figures, cash control, freeze, the report files
  (CSV, Excel, HTML); the best of two untraced runs (`--quick`: one), then the peak of Python
  allocations (tracemalloc) of one more run after `reopen`, and the process's peak RSS. On
  PostgreSQL the pane times are wall clock and the closeout's CPU adds the server's (see PG_NOTE).
Goals (issue 12): each pane ≤ 3× its raw SQL and the four together ≤ 10 ms; closeout < 3 s and
< 300 MB; the same at 100,000 and 1,000,000 orders of history.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a file: python bench/scale.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select

from bench import _pg
from bench._report import write_section
from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import OPEN_STATUSES, Role, Status
from ops_console.services import closeout as closeout_service
from ops_console.services.cash import cash_day
from ops_console.services.context import Actor, AppContext
from ops_console.services.operators import hash_pin
from ops_console.services.pane_load import picking_window
from ops_console.services.panes import BOARD_STATUSES, DEFAULT_WINDOW, QUEUE_SECTIONS
from ops_console.storage import pane_queries as q
from ops_console.storage.bulk import insert_rows
from ops_console.storage.db import make_engine, write_session
from ops_console.storage.models import (
    Anomaly,
    CashEntry,
    Courier,
    Delivery,
    Event,
    Operator,
    Order,
    OrderLine,
    Reminder,
    Sku,
    Store,
)

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=SH).astimezone(UTC)  # the next morning: the console runs, the day closes
SUPERVISOR = Actor("U03", "bench", Role.SUPERVISOR)
GOAL_RATIO, GOAL_PANES_MS, GOAL_CLOSE_S, GOAL_CLOSE_MB = 3.0, 10.0, 3.0, 300.0
OPEN_SPREAD = (("unassigned", 0.30), ("manual_review", 0.02), ("assigned", 0.10), ("picking", 0.15),
               ("picked", 0.13), ("dispatched", 0.10), ("held", 0.05), ("out_for_delivery", 0.12),
               ("refused", 0.02), ("not_completed", 0.01))
CHANNELS = ("meituan", "eleme", "jd", "app", "phone")
CATEGORIES = ("produce", "chilled", "frozen", "default")
_CHUNK = 20_000


class Builder:
    def __init__(self, ctx: AppContext, rng: random.Random, stores: int = 200) -> None:
        self.ctx, self.rng, self.stores = ctx, rng, stores
        self.next_id = 1
        self.couriers = [f"C{i:03d}" for i in range(stores)]

    def master(self) -> None:
        with write_session(self.ctx.engine) as s:
            conn = s.connection()
            insert_rows(conn, Store.__table__, [{"id": f"S{i:03d}", "name": f"店{i:03d}", "kind": "self", "phone": "",
                                                 "active": True} for i in range(self.stores)])
            couriers = [{"id": f"C{i:03d}", "name": f"员{i:03d}", "tier": "company", "store_id": f"S{i:03d}",
                         "phone": "", "capacity": 3, "active": True, "on_duty": True} for i in range(self.stores)]
            couriers += [{"id": f"X{i:03d}", "name": f"外{i:03d}", "tier": tier, "store_id": None, "phone": "",
                          "capacity": 5, "active": True, "on_duty": True}
                         for i, tier in enumerate(("third_party", "store_staff", "emergency") * 10)]
            insert_rows(conn, Courier.__table__, couriers)
            insert_rows(conn, Sku.__table__, [{"code": f"K{i}", "name": f"货{i}", "category": c, "unit": "", "step": 1,
                                               "price": 500, "stock": 10**6} for i, c in enumerate(CATEGORIES)])
            insert_rows(conn, Operator.__table__, [{"id": uid, "name": uid, "role": role, "pin_hash": hash_pin("1234"),
                                                    "active": True}
                                                   for uid, role in (("U01", "dispatcher"), ("U03", "supervisor"))])

    def _order(self, oid: int, status: str, received: datetime, store: str | None, **extra: Any) -> dict[str, Any]:
        rng = self.rng
        cod = rng.random() < 0.3
        return {"id": oid, "channel": rng.choice(CHANNELS), "order_no": f"N{oid:08d}", "kind": "customer",
                "status": status, "version": 2, "customer_name": "客", "phone": "13800000000",
                "address": f"某路{oid}号", "store_id": store, "assign_method": "auto" if store else None,
                "suggestions": [], "payment_method": "cod" if cod else "online",
                "payment_status": "pending" if cod else "paid", "amount": 1000, "paid_amount": 0 if cod else 1000,
                "remarks": "", "urgent": False, "custom": False, "fingerprint": "", "source": "bench",
                "placed_at": received, "received_at": received, "status_entered_at": received,
                "updated_at": received, "updated_by": "system", **extra}

    def history(self, count: int) -> None:
        """Closed orders over the year before the day: one line and one event each."""
        start = datetime(2025, 11, 24, tzinfo=SH).astimezone(UTC)
        span = (datetime(2026, 11, 24, tzinfo=SH).astimezone(UTC) - start).total_seconds()
        done = 0
        while done < count:
            n = min(_CHUNK, count - done)
            orders, lines, events = [], [], []
            for k in range(n):
                oid = self.next_id
                self.next_id += 1
                # In time order, as a log is written (the day's range read depends on it, not the history's size).
                at = start + timedelta(seconds=span * (done + k + self.rng.random()) / count)
                orders.append(self._order(oid, "completed", at, f"S{self.rng.randrange(self.stores):03d}",
                                          closed_at=at + timedelta(hours=1)))
                lines.append(self._line(oid))
                events.append(_event(oid, at, "receive", "received"))
            self._write(orders, lines, events)
            done += n

    def _line(self, oid: int) -> dict[str, Any]:
        return {"order_id": oid, "line_no": 1, "sku": "K0", "name": "货", "spec": "",
                "category": self.rng.choice(CATEGORIES), "qty": 1, "unit": "", "unit_price": 1000, "step": 1}

    def _write(self, orders: list[dict[str, Any]], lines: list[dict[str, Any]], events: list[dict[str, Any]],
               **more: list[dict[str, Any]]) -> None:
        with write_session(self.ctx.engine) as s:
            conn = s.connection()
            insert_rows(conn, Order.__table__, orders)
            insert_rows(conn, OrderLine.__table__, lines)
            if events:
                insert_rows(conn, Event.__table__, events)
            for name, rows in more.items():
                insert_rows(conn, {"delivery": Delivery, "cash": CashEntry}[name].__table__, rows)

    def day(self, count: int) -> dict[str, int]:
        """The day to close, with whole event chains; returns the cash each courier must hand in (fen)."""
        rng = self.rng
        day_start = datetime(2026, 11, 24, 7, 0, tzinfo=SH).astimezone(UTC)
        owed: dict[str, int] = {}
        timeline: list[tuple[datetime, int, str, str, dict[str, Any]]] = []  # the day's events, written in time order
        done = 0
        while done < count:
            n = min(_CHUNK // 2, count - done)
            orders, lines, deliveries, cash = [], [], [], []
            for _ in range(n):
                oid = self.next_id
                self.next_id += 1
                sidx = rng.randrange(self.stores)
                store, courier = f"S{sidx:03d}", self.couriers[sidx]
                t = day_start + timedelta(seconds=rng.random() * 14 * 3600)
                stamps = {"received": t}
                chain = [("receive", "received"), ("review_pass", "unassigned"), ("assign", "assigned"),
                         ("start_picking", "picking"), ("finish_picking", "picked"), ("dispatch", "dispatched"),
                         ("call", "out_for_delivery")]
                fate = rng.random()
                final = ("deliver", "delivered") if fate < 0.95 else ("refuse", "refused") if fate < 0.97 \
                    else ("fail", "not_completed")
                chain.append(final)
                for action, status in chain:
                    if action != "receive":
                        t = t + timedelta(seconds=rng.randint(30, 900))
                    stamps[status] = t
                    detail = {"method": "auto", "store_id": store} if action == "assign" else \
                        {"courier_id": courier, "tier": "company"} if action == "dispatch" else \
                        {"reason": "quality"} if action == "refuse" else \
                        {"reason": "customer_absent"} if action == "fail" else {}
                    timeline.append((t, oid, action, status, detail))
                status = final[1]
                if status != "delivered":  # refused or failed: the customer cancels (off the board by night)
                    t = t + timedelta(minutes=rng.randint(5, 60))
                    timeline.append((t, oid, "cancel", "cancelled", {"reason": "customer_cancelled"}))
                    status = "cancelled"
                if status == "delivered" and rng.random() < 0.6:
                    t = t + timedelta(minutes=rng.randint(5, 60))
                    timeline.append((t, oid, "confirm", "completed", {}))
                    status = "completed"
                row = self._order(oid, status, stamps["received"], store, courier_id=courier, tier="company",
                                  unassigned_at=stamps["received"], assigned_at=stamps["assigned"],
                                  picking_started_at=stamps["picking"], picked_at=stamps["picked"],
                                  dispatched_at=stamps["dispatched"], out_for_delivery_at=stamps["out_for_delivery"],
                                  delivered_at=stamps.get("delivered"), status_entered_at=t)
                orders.append(row)
                lines.append(self._line(oid))
                outcome = {"delivered": "signed", "completed": "signed"}.get(status, final[1])
                cod = row["amount"] if row["payment_method"] == "cod" and outcome == "signed" else 0
                deliveries.append({"order_id": oid, "attempt": 1, "tier": "company", "courier_id": courier,
                                   "dispatched_at": stamps["dispatched"], "out_at": stamps["out_for_delivery"],
                                   "finished_at": stamps[final[1]], "outcome": outcome, "cod_collected": cod})
                if cod:
                    cash.append({"courier_id": courier, "business_date": DAY.isoformat(), "kind": "cod_collected",
                                 "amount": cod, "order_id": oid, "actor": "system", "at": stamps[final[1]]})
                    owed[courier] = owed.get(courier, 0) + cod
            self._write(orders, lines, [], delivery=deliveries, cash=cash)
            done += n
        timeline.sort(key=lambda e: (e[0], e[1]))
        for i in range(0, len(timeline), _CHUNK):
            with write_session(self.ctx.engine) as s:
                insert_rows(s.connection(), Event.__table__,
                            [_event(oid, at, action, status, detail)
                             for at, oid, action, status, detail in timeline[i : i + _CHUNK]])
        return owed

    def open_orders(self, count: int) -> None:
        """Orders open the next morning (received after the day): what the panes show."""
        rng = self.rng
        statuses = [st for st, share in OPEN_SPREAD for _ in range(round(share * count))][:count]
        statuses += ["unassigned"] * (count - len(statuses))
        orders, lines, events = [], [], []
        for status in statuses:
            oid = self.next_id
            self.next_id += 1
            at = NOW - timedelta(seconds=rng.randint(30, 3 * 3600))
            store = f"S{rng.randrange(self.stores):03d}" if status not in ("unassigned", "manual_review") else None
            courier = f"C{int(store[1:]):03d}" if store and status in ("dispatched", "held", "out_for_delivery") \
                else None
            tier = "company" if status in BOARD_STATUSES else None
            orders.append(self._order(oid, status, at, store, tier=tier, courier_id=courier,
                                      unassigned_at=at if status == "unassigned" else None,
                                      assigned_at=at if store else None, picked_at=at if tier else None,
                                      dispatched_at=at if courier else None,
                                      out_for_delivery_at=at if status == "out_for_delivery" else None,
                                      appointment_at=at + timedelta(hours=2) if status == "held" else None))
            lines.append(self._line(oid))
            events.append(_event(oid, at, "receive", status))
        self._write(orders, lines, events)
        with write_session(self.ctx.engine) as s:
            conn = s.connection()
            insert_rows(conn, Reminder.__table__, [
                {"kind": "picking_overdue", "severity": "warning", "dedup_key": f"b:{i}", "subject": f"order:{i}",
                 "status": "open", "raised_at": NOW - timedelta(minutes=i % 120), "last_raised_at": NOW,
                 "raise_count": 1, "payload": {}} for i in range(300)])
            insert_rows(conn, Anomaly.__table__, [
                {"rule": "quantity_surge", "severity": "warning", "order_id": None, "store_id": f"S{i % 200:03d}",
                 "fingerprint": f"b:{i}", "first_seen": NOW - timedelta(minutes=i), "last_seen": NOW, "count": 1,
                 "status": "open", "detail": {}} for i in range(300)])


def _event(oid: int, at: datetime, action: str, to_status: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = "system" if action in ("receive", "review_pass", "assign") else "U01"
    return {"at": at, "actor": actor, "actor_role": "system" if actor == "system" else "dispatcher",
            "subject_type": "order", "subject_id": str(oid), "order_id": oid, "action": action, "from_status": None,
            "to_status": to_status, "detail": detail or {}}


# ----------------------------------------------------------------------------------------------
# The panes: the console's queries against the same SQL on the DB-API cursor
# ----------------------------------------------------------------------------------------------


def pane_groups(ctx: AppContext) -> dict[str, Callable[[Any], Any]]:
    open_statuses = [st.value for st in OPEN_STATUSES]

    def unassigned(s: Any) -> Any:
        return [q.queue_rows(s, status, DEFAULT_WINDOW) for status in QUEUE_SECTIONS]

    def picking(s: Any) -> Any:  # the console's own: clocks known by version, the window's rows by id
        return picking_window(s, ctx, DEFAULT_WINDOW)

    def board(s: Any) -> Any:
        return q.board_rows(s, BOARD_STATUSES, DEFAULT_WINDOW)

    def alerts(s: Any) -> Any:
        return q.reminder_rows(s, DEFAULT_WINDOW), q.anomaly_rows(s, DEFAULT_WINDOW)

    def header(s: Any) -> Any:
        return (q.open_status_counts(s, open_statuses), q.oldest_unassigned_order(s), q.out_for_delivery_times(s),
                q.appointment_times(s, [st for st in open_statuses if st != Status.DELIVERED], NOW - timedelta(hours=1),
                                    NOW + timedelta(hours=6)),
                q.courier_rows(s), q.open_reminder_count(s), q.open_critical_anomaly_count(s),
                q.meta_value(s, "scheduler.last_run"))

    return {"unassigned": unassigned, "picking": picking, "board": board, "alerts": alerts, "header": header}


@dataclass
class Target:
    """The database a run builds and measures: a SQLite file, or a PostgreSQL database of its own."""

    url: str
    db_file: Path | None = None  # SQLite

    @property
    def postgres(self) -> bool:
        return self.db_file is None

    def raw(self) -> Any:
        """A DB-API connection of the driver itself, no SQLAlchemy."""
        return sqlite3.connect(self.db_file) if self.db_file is not None else _pg.dbapi_connect(self.url)

    def clock(self) -> float:
        """SQLite works in this process: its CPU time. PostgreSQL works in the server's processes,
        which this process's CPU time leaves out: the pane queries are timed on the wall clock."""
        return time.perf_counter() if self.postgres else time.process_time()

    def prepare(self, ctx: AppContext) -> None:
        if self.postgres:
            _pg.vacuum_analyze(ctx.engine)
            return
        with ctx.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")

    def size_mb(self, ctx: AppContext) -> float:
        return self.db_file.stat().st_size / 2**20 if self.db_file is not None else _pg.database_mb(ctx.engine)


def measure_panes(ctx: AppContext, target: Target, rounds: int) -> dict[str, tuple[float, float]]:
    """name → (median ms through pane_queries, median ms of the same SQL on the DB-API cursor)."""
    from sqlmodel import Session

    out: dict[str, tuple[float, float]] = {}
    raw = target.raw()
    clock = target.clock
    for name, fn in pane_groups(ctx).items():
        captured: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool,
                    into: list[tuple[str, Any]] = captured) -> None:
            into.append((statement, parameters))

        with Session(ctx.engine) as s:
            fn(s)  # warm: caches, the SLA memo
            event.listen(ctx.engine, "before_cursor_execute", capture)
            fn(s)
            event.remove(ctx.engine, "before_cursor_execute", capture)
            statements = [(sql, params) for sql, params in captured if not sql.lstrip().upper().startswith(("BEGIN",))]
            times = []
            for _ in range(rounds):
                started = clock()
                fn(s)
                times.append((clock() - started) * 1000)
        raw_times = []
        for _ in range(rounds):
            started = clock()
            for sql, params in statements:
                raw.execute(sql, params).fetchall()
            raw_times.append((clock() - started) * 1000)
        out[name] = (statistics.median(times), statistics.median(raw_times))
    raw.close()
    return out


def measure_closeout(ctx: AppContext, owed: dict[str, int], reports: Path, target: Target,
                     runs: int = 2) -> dict[str, Any]:
    """`close_day` whole, best of `runs` (reopened between), then once more under tracemalloc. On
    PostgreSQL the server's CPU time (its processes for this database) is read beside this process's."""
    # The supervisor counts what the ledger expects (its standard float + the COD the build booked).
    ledger = cash_day(ctx, DAY)
    assert {x.courier_id: x.cod_collected for x in ledger if x.cod_collected} == owed
    counted = {x.courier_id: x.expected for x in ledger}
    best: tuple[float, float, float | None] | None = None
    for _ in range(runs):
        server = _pg.backend_cpu(ctx.engine) if target.postgres else None
        started, cpu = time.perf_counter(), time.process_time()
        result = closeout_service.close_day(ctx, SUPERVISOR, DAY, counted=counted, report_dir=reports)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = _pg.cpu_since(ctx.engine, server) if target.postgres else None
        assert result.figures["status"] == "closed", result.figures.get("blocking")
        closeout_service.reopen(ctx, SUPERVISOR, DAY, "bench: measure again")
        if best is None or cpu + (server_cpu or 0) < best[0] + (best[2] or 0):
            best = (cpu, seconds, server_cpu)
    assert best is not None
    cpu, seconds, server_cpu = best
    received = result.figures["orders"]["received"]
    tracemalloc.start()
    closeout_service.close_day(ctx, SUPERVISOR, DAY, counted=counted, report_dir=reports)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    closeout_service.reopen(ctx, SUPERVISOR, DAY, "bench: ready for the next size")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": cpu, "wall": seconds, "server": server_cpu, "peak_mb": peak / 2**20, "rss_mb": rss,
            "received": received}


def run(quick: bool, sizes: list[int], day_orders: int, open_orders: int,
        pg_url: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Build and measure on SQLite, or on a PostgreSQL database of its own beside `pg_url`'s (made
    fresh, dropped after); returns the engine's name and one result per history size."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        if pg_url is None:
            db = tmp / "scale.db"
            return "SQLite", _run(Target(f"sqlite:///{db}", db), tmp, quick, sizes, day_orders, open_orders)
        with _pg.scratch_database(pg_url, "bench_scale") as url:
            engine = make_engine(url)
            try:
                name = _pg.server_version(engine)
            finally:
                engine.dispose()
            return name, _run(Target(url), tmp, quick, sizes, day_orders, open_orders)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(target: Target, tmp: Path, quick: bool, sizes: list[int], day_orders: int,
         open_orders: int) -> list[dict[str, Any]]:
    clock = ManualClock(NOW)
    ctx = AppContext.open(Settings(), clock, url=target.url)
    b = Builder(ctx, random.Random(12))
    results = []
    try:
        started = time.perf_counter()
        b.master()
        owed = b.day(day_orders)
        b.open_orders(open_orders)
        built_history = 0
        build_s = time.perf_counter() - started
        for size in sizes:
            t0 = time.perf_counter()
            b.history(size - built_history)
            built_history = size
            target.prepare(ctx)
            with ctx.engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(Order.__table__)).scalar_one()
            build_s += time.perf_counter() - t0
            panes = measure_panes(ctx, target, 10 if quick else 50)
            close = measure_closeout(ctx, owed, tmp / "reports", target, 1 if quick else 2)
            results.append({"history": size, "total": total, "build_s": build_s, "panes": panes, "close": close,
                            "db_mb": target.size_mb(ctx), "postgres": target.postgres})
            print(format_result(results[-1]), flush=True)
    finally:
        ctx.close()
    return results


def format_result(r: dict[str, Any]) -> str:
    panes = r["panes"]
    four = sum(panes[k][0] for k in ("unassigned", "picking", "board", "alerts"))
    kind = "wall" if r["postgres"] else "CPU"
    lines = [f"History {r['history']:,} closed orders ({r['total']:,} orders in all, database {r['db_mb']:.0f} MB, "
             f"built in {r['build_s']:.0f} s so far):", "",
             f"| pane | through pane_queries, median ms ({kind}) | same SQL on the DB-API cursor, ms ({kind}) | ratio |",
             "|---|---:|---:|---:|"]
    for name, (ms, raw_ms) in panes.items():
        lines.append(f"| {name} | {ms:.2f} | {raw_ms:.2f} | {ms / raw_ms if raw_ms else 0:.1f}× |")
    c = r["close"]
    worst = max(ms / raw_ms for ms, raw_ms in panes.values() if raw_ms)
    lines += ["", f"The four panes together: {four:.2f} ms (goal ≤ {GOAL_PANES_MS:.0f}: "
              f"{'met' if four <= GOAL_PANES_MS else 'NOT met'}); worst ratio {worst:.1f}× "
              f"(goal ≤ {GOAL_RATIO:.0f}×: {'met' if worst <= GOAL_RATIO else 'NOT met'}).",
              f"Closeout of the day ({c['received']:,} orders): {_close_time(c, r['postgres'])}; goal < {GOAL_CLOSE_S:.0f} s: "
              f"{'met' if c['seconds'] + (c['server'] or 0) < GOAL_CLOSE_S else 'NOT met'}), "
              f"Python peak {c['peak_mb']:.0f} MB "
              f"(tracemalloc; goal < {GOAL_CLOSE_MB:.0f} MB: {'met' if c['peak_mb'] < GOAL_CLOSE_MB else 'NOT met'}), "
              f"process peak RSS {c['rss_mb']:.0f} MB (the bench's whole life, building included)."]
    return "\n".join(lines)


def _close_time(c: dict[str, Any], postgres: bool) -> str:
    if c["server"] is None and postgres:
        return f"{c['seconds']:.2f} s CPU here, the server's not readable ({c['wall']:.2f} s wall"
    if c["server"] is not None:
        return (f"{c['seconds'] + c['server']:.2f} s CPU: {c['seconds']:.2f} s here + {c['server']:.2f} s in the "
                f"server ({c['wall']:.2f} s wall")
    return f"{c['seconds']:.2f} s CPU ({c['wall']:.2f} s wall on the shared machine"


DESCRIPTION = (
    "Built with the bulk path (storage/bulk.py): 200 stores, a history of closed orders over the "
    "year before the day (one line, one event each), the day to close with 50,000 orders and their whole "
    "event chains (~9 events each), delivery attempts and COD ledger, and 3,000 orders open the next morning "
    "with 300 reminders and 300 anomalies. Pane times are the queries of storage/pane_queries.py as the "
    "console runs them (median of 50, warm), beside the very same SQL and parameters on the driver's own "
    "DB-API cursor. The closeout is `close_day` whole: checks, figures, cash control, freeze and the report "
    "files, best of 2; its time is CPU time (the machine is shared by several jobs; wall time beside it)."
)
SQLITE_NOTE = (
    "SQLite (WAL) works in this process: times are its CPU time; the DB-API cursor (sqlite3) returns datetimes "
    "and JSON as text: no conversion."
)
PG_NOTE = (
    "A database of its own on the server of `OPS_TEST_POSTGRES_URL` (created for the run, `VACUUM ANALYZE` after "
    "each load, dropped after), through psycopg 3. The server works in its own processes, which this process's "
    "CPU time leaves out: pane times are wall-clock medians, and the closeout's CPU time adds the server's "
    "(its processes for this database, read from /proc) to this process's. The DB-API cursor (psycopg) "
    "converts timestamps and JSON itself."
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--history", type=int, default=1_000_000, help="stop at this much history")
    parser.add_argument("--only", choices=("sqlite", "postgres"),
                        help="one engine only (prints, writes nothing to PERFORMANCE.md)")
    args = parser.parse_args(argv)
    pg_url = os.environ.get(_pg.ENV) or None
    if args.only == "postgres" and pg_url is None:
        parser.error(f"--only postgres needs {_pg.ENV}")
    engines: list[str | None] = [] if args.only == "postgres" else [None]
    if pg_url is not None and args.only != "sqlite":
        engines.append(pg_url)
    if args.quick:
        sizes, day_orders, open_orders = [2_000, 4_000], 500, 150
    else:
        sizes = [s for s in (100_000, 1_000_000) if s <= args.history] or [args.history]
        day_orders, open_orders = 50_000, 3_000
    parts: list[tuple[str, list[dict[str, Any]]]] = []
    try:
        if pg_url is not None and args.only != "sqlite":
            _pg.check(pg_url)  # before minutes of SQLite: an unreachable server fails the run at once
        for url in engines:
            name, results = run(args.quick, sizes, day_orders, open_orders, url)
            print(f"== {name} done", flush=True)
            parts.append((name, results))
    except _pg.PostgresUnavailable as exc:
        print(f"bench.scale: {exc}", file=sys.stderr)
        return 2
    if args.quick or args.only:
        return 0 if all(results for _, results in parts) else 1
    body = [DESCRIPTION, ""]
    for name, results in parts:
        body += [f"### {name}", "", PG_NOTE if name.startswith("PostgreSQL") else SQLITE_NOTE, ""]
        body += [format_result(r) + "\n" for r in results]
    if pg_url is None:
        body += ["### PostgreSQL", "", f"Not run: `{_pg.ENV}` was not set.", ""]
    write_section("scale", "Scale: a year of orders (panes and closeout)", "\n".join(body))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
