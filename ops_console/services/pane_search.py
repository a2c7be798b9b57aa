"""The console command line's lookups: an order by its number, order states, words to complete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ops_console.domain.types import OPEN_STATUSES
from ops_console.services.context import AppContext
from ops_console.services.errors import NotFound, ServiceError
from ops_console.storage import pane_queries as q
from ops_console.storage.db import read_session


@dataclass(frozen=True)
class OrderState:
    id: int
    version: int
    status: str
    channel: str
    order_no: str
    claimed_by: str | None = None


def find_order(ctx: AppContext, text: str) -> OrderState:
    """An order by `channel:number` or number (the command line's `:order MT9001`)."""
    text = text.strip()
    with read_session(ctx.engine) as s:
        rows = q.find_open_orders(s, text, 2)
    if not rows:
        raise NotFound("orders.not_found", order=text)
    if len(rows) > 1:
        raise ServiceError("orders.ambiguous_number", order=text)
    r = rows[0]
    return OrderState(r.id, r.version, r.status, r.channel, r.order_no)


def order_states(ctx: AppContext, ids: Iterable[int]) -> dict[int, OrderState]:
    with read_session(ctx.engine) as s:
        rows = q.order_states(s, list(ids))
    return {r.id: OrderState(r.id, r.version, r.status, r.channel, r.order_no, r.claimed_by) for r in rows}


@dataclass(frozen=True)
class Vocabulary:
    """Words the command line completes: store ids and names, open order numbers."""

    stores: Mapping[str, str]
    order_numbers: tuple[str, ...]


def vocabulary(ctx: AppContext, limit: int = 5000) -> Vocabulary:
    with read_session(ctx.engine) as s:
        stores = q.store_names(s)
        numbers = q.recent_order_numbers(s, [st.value for st in OPEN_STATUSES], limit)
    return Vocabulary(stores, tuple(numbers))


def store_search_words(ctx: AppContext) -> list[tuple[str, str]]:
    """(keyword, store id) pairs, for filtering stores by keyword."""
    with read_session(ctx.engine) as s:
        return [(r.keyword, r.store_id) for r in q.store_keywords(s)]
