"""One new order: `receive`, the automatic review, and — after a pass — the address matcher.

The one way in for a single order: phone entry, the simulator and intake's small batches all end
here. An approval after manual review (`approve_order`) is the same pass done by a person, so it
meets the matcher the same way. Above the engine (services/lifecycle.py) and matching; nothing
below imports this module.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from ops_console.domain.review import LineFacts, SkuFacts, Verdict, review
from ops_console.domain.types import Action, Status, SubjectType
from ops_console.services.anomaly_checks import evaluate_new_orders
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.events import event_row
from ops_console.services.lifecycle import Outcome, apply, receive_status
from ops_console.services.lookup import find_order
from ops_console.services.matching import match_new_order
from ops_console.storage.db import write_session
from ops_console.storage.models import Event, Order, OrderLine, Sku


def receive_order(
    session: Session,
    ctx: AppContext,
    order: Order,
    lines: list[OrderLine],
    actor: Actor = SYSTEM,
    *,
    match_address: bool = True,
    evaluate: bool = True,
) -> Outcome:
    """Create an order (`receive`) and run the automatic review at once (`review_pass` / `review_fail`).

    Then (unless `evaluate` is False) the anomaly rules, as for every new order: the same
    `anomaly_checks.evaluate_new_orders` intake calls for its batches.

    After `review_pass` the address matcher assigns the store in the same transaction when the
    rules find exactly one (services/matching.py); otherwise the reason and suggestions stay on
    the order.
    """
    now = ctx.clock.now()
    received = receive_status(actor)
    order.status = received.value
    order.version = 1
    order.amount = sum(round(line.qty * line.unit_price) for line in lines)
    order.received_at = order.received_at or now
    order.status_entered_at = now
    order.updated_at = now
    order.updated_by = actor.id
    session.add(order)
    session.flush()
    for n, line in enumerate(lines, start=1):
        line.order_id = order.id or 0
        line.line_no = n
        session.add(line)
    session.execute(
        insert(Event).values(
            **event_row(now, actor, SubjectType.ORDER, order.id or 0, Action.RECEIVE, order_id=order.id,
                        to_status=Status.RECEIVED.value,
                        detail={"channel": order.channel, "order_no": order.order_no, "source": order.source,
                                "version": 1})
        )
    )
    verdict = review_order(session, order, lines)
    if verdict.passed:
        outcome = apply(session, ctx, order, Action.REVIEW_PASS, SYSTEM)
        if match_address:
            outcome = match_new_order(session, ctx, order) or outcome
    else:
        outcome = apply(session, ctx, order, Action.REVIEW_FAIL, SYSTEM, reason=verdict.reason,
                        reason_text=verdict.detail)
    if evaluate:
        evaluate_new_orders(session, ctx, [order.id or 0])
    return outcome


def approve_order(
    ctx: AppContext,
    order_ref: str | int,
    actor: Actor,
    *,
    expected_version: int | None = None,
    match_address: bool = True,
    **params: Any,
) -> Outcome:
    """A dispatcher approves an order in manual review; in the same transaction the matcher runs
    exactly as after an automatic `review_pass`: one store -> a system `assign` (method `auto`),
    otherwise the reason and suggestions stay on the order for the queue.

    The engine records how long the review took and starts the backlog clock at receipt. The
    outcome is the approval as the person sees it: from `manual_review` to where the order ended
    up (`assigned` when the matcher found its store), with the order's final version.
    """
    with write_session(ctx.engine) as session:
        order = find_order(session, order_ref)
        approved = apply(session, ctx, order, Action.APPROVE, actor, expected_version=expected_version,
                         **params)
        assigned = match_new_order(session, ctx, order) if match_address else None
        if assigned is None:
            return approved
        return replace(approved, to_status=assigned.to_status, version=assigned.version)


def review_order(session: Session, order: Order, lines: list[OrderLine]) -> Verdict:
    skus = {line.sku for line in lines}
    catalogue = {
        s.code: SkuFacts(price=s.price, stock=s.stock)
        for s in session.exec(select(Sku).where(col(Sku.code).in_(skus)))
    } if skus else {}
    return review(
        [LineFacts(line.sku, line.qty, line.unit_price) for line in lines],
        catalogue,
        order.payment_method,
        order.payment_status,
        order.amount,
        order.paid_amount,
    )
