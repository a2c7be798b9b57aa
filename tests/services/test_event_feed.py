"""The event feed that consoles poll is exact: an event that commits after a later id was read is
still seen, once (PostgreSQL hands out ids at insert and commits in its own order)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlmodel import Session

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.events import EventFeed, last_event_id
from ops_console.services.lifecycle import apply, find_order
from ops_console.services.panes import PICKING, LiveView
from ops_console.storage.db import read_session, write_session
from tests.conftest import DISPATCHER
from tests.factories import new_order, seed_city
from tests.pg import postgres_url


def _picking(live: LiveView) -> set[str]:
    return {row.order_no for row in live.panes[PICKING].rows}


def _poll(ctx: AppContext, feed: EventFeed) -> list[int]:
    with read_session(ctx.engine) as s:
        return [r.id for r in feed.poll(s, ctx.clock.now())]


@pytest.fixture
def pg_ctx(clock: ManualClock) -> Iterator[AppContext]:
    ctx = AppContext.open(Settings(), clock, url=postgres_url())
    yield ctx
    ctx.close()


def _assign_open(stack: ExitStack, ctx: AppContext, ref: str) -> Session:
    """Assign the order in a transaction left open (committed when the stack closes)."""
    s = stack.enter_context(write_session(ctx.engine))
    apply(s, ctx, find_order(s, ref), Action.ASSIGN, DISPATCHER, store_id="S01")
    s.flush()
    return s


@pytest.mark.postgres
def test_two_events_committed_out_of_order_from_two_connections_are_both_in_the_feed(pg_ctx: AppContext) -> None:
    ctx = pg_ctx
    seed_city(ctx)
    new_order(ctx, "A1")
    new_order(ctx, "B1")
    live = LiveView()
    live.load(ctx)
    feed = EventFeed()
    with read_session(ctx.engine) as s:
        feed.start(s, last_event_id(s), ctx.clock.now())
    first = ExitStack()
    _assign_open(first, ctx, "A1")  # takes the lower event id, commits last
    with ExitStack() as second:
        _assign_open(second, ctx, "B1")
    b_only = _poll(ctx, feed)
    assert len(b_only) == 1
    assert live.refresh(ctx) is not None and _picking(live) == {"B1"}
    first.close()  # now A1's assignment commits, with an id below the one already read
    a_late = _poll(ctx, feed)
    assert len(a_late) == 1 and a_late[0] < b_only[0]
    assert live.refresh(ctx) is not None and _picking(live) == {"A1", "B1"}
    assert _poll(ctx, feed) == [] and live.refresh(ctx) is None  # each event once


@pytest.mark.postgres
def test_a_rolled_back_id_is_waited_for_only_for_a_while(pg_ctx: AppContext, clock: ManualClock) -> None:
    from datetime import timedelta

    ctx = pg_ctx
    seed_city(ctx)
    new_order(ctx, "A1")
    new_order(ctx, "B1")
    feed = EventFeed(gap_grace=timedelta(minutes=10))
    with read_session(ctx.engine) as s:
        feed.start(s, last_event_id(s), ctx.clock.now())
    with pytest.raises(RuntimeError), write_session(ctx.engine) as s:
        apply(s, ctx, find_order(s, "A1"), Action.ASSIGN, DISPATCHER, store_id="S01")
        s.flush()
        raise RuntimeError("rolled back")
    with write_session(ctx.engine) as s:
        apply(s, ctx, find_order(s, "B1"), Action.ASSIGN, DISPATCHER, store_id="S01")
    assert len(_poll(ctx, feed)) == 1 and len(feed.waiting) == 1
    clock.advance(minutes=11)
    assert _poll(ctx, feed) == [] and feed.waiting == {}


def test_the_feed_reads_each_event_once_in_order_on_sqlite(city: AppContext) -> None:
    feed = EventFeed()
    with read_session(city.engine) as s:
        feed.start(s, last_event_id(s), city.clock.now())
    assert _poll(city, feed) == [] and feed.waiting == {}
    new_order(city, "A1")
    new_order(city, "B1")
    got = _poll(city, feed)
    assert got == sorted(got) and len(got) == 4  # receive + review_pass each
    assert _poll(city, feed) == [] and feed.waiting == {}
