"""Small builders for tests: a city and orders, through the real services."""

from __future__ import annotations

from ops_console.domain.types import Role
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import Outcome
from ops_console.services.operators import hash_pin
from ops_console.services.receiving import receive_order
from ops_console.storage.db import write_session
from ops_console.storage.models import Courier, Operator, Order, OrderLine, Sku, Store, StoreKeyword


def seed_city(ctx: AppContext) -> None:
    with write_session(ctx.engine) as s:
        s.add(Store(id="S01", name="阳光店", kind="self", phone="0571-1"))
        s.add(Store(id="S02", name="河畔店", kind="franchise", phone="0571-2"))
        s.flush()
        s.add(StoreKeyword(keyword="阳光小区", store_id="S01"))
        s.add(StoreKeyword(keyword="河畔花园", store_id="S02"))
        s.add(Courier(id="C01", name="刘一", tier="company", store_id="S01", capacity=3))
        s.add(Courier(id="C02", name="陈二", tier="company", store_id="S02", capacity=3))
        s.add(Courier(id="C03", name="张三(闪送)", tier="third_party", capacity=5))
        s.add(Courier(id="C04", name="李四", tier="store_staff", store_id="S02", capacity=1))
        s.add(Courier(id="C05", name="应急王五", tier="emergency", capacity=5))
        s.add(Sku(code="P001", name="上海青", category="produce", unit="500g", step=1, price=350, stock=1000))
        s.add(Sku(code="G001", name="矿泉水", category="default", unit="瓶", step=12, price=200, stock=1000))
        s.add(Sku(code="F001", name="速冻水饺", category="frozen", unit="袋", step=1, price=1590, stock=3))
        for op_id, name, role in (("U01", "王丽", Role.DISPATCHER), ("U02", "李娜", Role.CUSTOMER_SERVICE),
                                  ("U03", "张强", Role.SUPERVISOR)):
            s.add(Operator(id=op_id, name=name, role=role.value, pin_hash=hash_pin("1234")))


def new_order(ctx: AppContext, order_no: str, *, payment: str = "online", sku: str = "P001", qty: float = 2,
              price: int = 350, address: str = "阳光小区3栋2单元501", channel: str = "meituan",
              match_address: bool = False, category: str = "produce", evaluate: bool = False) -> Outcome:
    """A customer order through `receive_order`. The anomaly rules are off unless `evaluate`: these
    orders all share one phone and one line, so each would be a `duplicate_order` of the one before;
    tests of the rules call the seam themselves (or pass evaluate=True)."""
    with write_session(ctx.engine) as s:
        order = Order(channel=channel, order_no=order_no, status="received", customer_name="赵女士",
                      phone="13812341234", address=address, payment_method=payment,
                      payment_status="paid" if payment == "online" else "pending",
                      paid_amount=round(qty * price) if payment == "online" else 0, placed_at=ctx.clock.now())
        line = OrderLine(order_id=0, sku=sku, name="x", category=category, qty=qty, unit_price=price)
        return receive_order(s, ctx, order, [line], match_address=match_address, evaluate=evaluate)
