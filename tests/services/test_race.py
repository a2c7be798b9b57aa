"""Two long-running workers race on the same orders: exactly one wins each race, no event is lost
or doubled (threads on SQLite, processes on PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp
import threading
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from ops_console.clock import Clock
from ops_console.config import Settings
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.errors import Conflict, Refused
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session
from ops_console.storage.models import Event, Order
from tests.conftest import DISPATCHER, SUPERVISOR
from tests.factories import new_order, seed_city
from tests.pg import postgres_url

RACES = 300


def _prepare(url: str, n: int) -> list[tuple[int, int]]:
    ctx = AppContext.open(Settings(), Clock(), url=url)
    seed_city(ctx)
    for i in range(n):
        new_order(ctx, f"RACE{i:04d}")
    with read_session(ctx.engine) as s:
        seen = [(o.id, o.version) for o in s.exec(select(Order).order_by(Order.id))]
    ctx.close()
    return seen  # type: ignore[return-value]


def _worker(url: str, who: int, orders: list[tuple[int, int]], barrier: Any, results: Any) -> None:
    ctx = AppContext.open(Settings(), Clock(), url=url, migrate=False)
    actor = DISPATCHER if who == 0 else SUPERVISOR
    store = "S01" if who == 0 else "S02"
    wins = []
    for order_id, version in orders:
        barrier.wait(timeout=30)
        try:
            perform(ctx, order_id, Action.ASSIGN, actor, expected_version=version, store_id=store)
            wins.append(order_id)
        except (Conflict, Refused):
            pass
    ctx.close()
    results.put((who, wins))


def _check(url: str, results: list[tuple[int, list[int]]], n: int) -> None:
    won = [oid for _, wins in results for oid in wins]
    assert len(won) == n, f"{len(won)} wins for {n} races"
    assert len(set(won)) == n, "an order was won twice"
    assert all(wins for _, wins in results), "one worker never won: there was no race"
    ctx = AppContext.open(Settings(), Clock(), url=url, migrate=False)
    with read_session(ctx.engine) as s:
        ids = list(s.exec(select(Event.id).order_by(Event.id)))
        assert ids == list(range(ids[0], ids[0] + len(ids))), "gap in the event log"
        assigns = s.exec(select(func.count()).where(Event.action == "assign")).one()
        assert assigns == n
        for order in s.exec(select(Order)):
            events = list(s.exec(select(Event).where(Event.order_id == order.id).order_by(Event.id)))
            assert [e.action for e in events] == ["receive", "review_pass", "assign"]
            assert events[-1].actor == ("U01" if order.store_id == "S01" else "U03")
            assert order.version == 3
    ctx.close()


class _ListQueue(list):
    def put(self, item: Any) -> None:
        self.append(item)


def test_threads_race_on_sqlite(db_url: str) -> None:
    orders = _prepare(db_url, RACES)
    barrier = threading.Barrier(2)
    results = _ListQueue()
    threads = [threading.Thread(target=_worker, args=(db_url, w, orders, barrier, results)) for w in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert len(results) == 2
    _check(db_url, results, RACES)


@pytest.mark.postgres
def test_processes_race_on_postgres() -> None:
    url = postgres_url()
    n = 200
    orders = _prepare(url, n)
    mpc = mp.get_context("spawn")
    barrier = mpc.Barrier(2)
    queue = mpc.Queue()
    procs = [mpc.Process(target=_worker, args=(url, w, orders, barrier, queue)) for w in (0, 1)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    _check(url, results, n)
