"""SQLModel tables. Money in integer fen; datetimes aware UTC (UTCDateTime)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ops_console.storage.types import UTCDateTime


def _dt(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Store(SQLModel, table=True):
    __tablename__ = "store"
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    kind: str = Field(default="self", max_length=16)
    phone: str = Field(default="", max_length=40)
    active: bool = True


class StoreKeyword(SQLModel, table=True):
    __tablename__ = "store_keyword"
    id: int | None = Field(default=None, primary_key=True)
    keyword: str = Field(max_length=200, unique=True)
    store_id: str = Field(foreign_key="store.id", index=True, max_length=32)
    source: str = Field(default="import", max_length=16)  # import / learned / manual
    created_at: datetime | None = _dt()
    created_by: str | None = Field(default=None, max_length=32)


class Courier(SQLModel, table=True):
    __tablename__ = "courier"
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    tier: str = Field(max_length=16, index=True)
    store_id: str | None = Field(default=None, foreign_key="store.id", index=True, max_length=32)
    phone: str = Field(default="", max_length=40)
    capacity: int = 1
    active: bool = True
    on_duty: bool = True
    cash_float: int | None = None  # fen; None = cash.float_default (delivery branch, #16)


class Sku(SQLModel, table=True):
    __tablename__ = "sku"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(default="default", max_length=16)
    unit: str = Field(default="", max_length=16)
    step: int = 1
    price: int = 0  # fen
    stock: int = 0
    weight_g: int | None = None


class Operator(SQLModel, table=True):
    __tablename__ = "operator"
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    pin_hash: str = Field(max_length=200)
    active: bool = True
    failed_pins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # wrong PINs in a row
    locked_until: datetime | None = _dt()  # after too many wrong PINs: no sign-in before this


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel", "order_no", name="uq_orders_channel_no"),
        Index("ix_orders_status_entered", "status", "status_entered_at"),
        Index("ix_orders_kind_placed", "kind", "placed_at"),  # today's replenishment orders (reminders)
        Index("ix_orders_kind_received", "kind", "received_at"),  # a business day's orders (closeout, reports)
        # What each courier carries now (the header): only its open orders, not all it ever carried.
        Index("ix_orders_courier_status", "courier_id", "status"),
        # The queue pane's order (urgent first, then the longest waiting): its window of 150 is read
        # off the index instead of sorting every unassigned order.
        Index("ix_orders_queue", "status", text("urgent DESC"), text("coalesce(unassigned_at, status_entered_at)"),
              "id"),
        # The header's appointments due soon: the few orders that have one, by time. Partial, so the
        # million orders without one cost nothing; an index on status would be chosen (and skipped
        # as unselective) by the statistics of a table where most orders are closed.
        Index("ix_orders_appointment", "appointment_at", sqlite_where=text("appointment_at IS NOT NULL"),
              postgresql_where=text("appointment_at IS NOT NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    order_no: str = Field(max_length=64)
    kind: str = Field(default="customer", max_length=16)
    status: str = Field(max_length=24)
    version: int = 1
    customer_name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=2000)
    store_id: str | None = Field(default=None, foreign_key="store.id", index=True, max_length=32)
    assign_method: str | None = Field(default=None, max_length=16)
    match_reason: str | None = Field(default=None, max_length=200)
    suggestions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    payment_method: str = Field(default="online", max_length=16)
    payment_status: str = Field(default="paid", max_length=16)
    amount: int = 0  # fen: sum of lines
    paid_amount: int = 0  # fen
    # Text: platform remarks are kept verbatim up to 64 KiB (domain/intake MAX_REMARKS).
    remarks: str = Field(default="", sa_type=Text)
    urgent: bool = False
    custom: bool = False
    appointment_at: datetime | None = _dt()
    review_reason: str | None = Field(default=None, max_length=200)
    tier: str | None = Field(default=None, max_length=16)
    courier_id: str | None = Field(default=None, foreign_key="courier.id", index=True, max_length=32)
    claimed_by: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = _dt()
    fingerprint: str = Field(default="", max_length=64)
    source: str = Field(default="", max_length=500)  # file and row, or "phone entry by U01"
    placed_at: datetime | None = _dt()
    received_at: datetime | None = _dt()
    status_entered_at: datetime | None = _dt()  # last transition into the current status
    unassigned_at: datetime | None = _dt()  # last entry into `unassigned`: the backlog clock
    assigned_at: datetime | None = _dt()
    picking_started_at: datetime | None = _dt()
    picked_at: datetime | None = _dt()
    dispatched_at: datetime | None = _dt()
    out_for_delivery_at: datetime | None = _dt()
    delivered_at: datetime | None = _dt()
    closed_at: datetime | None = _dt()
    updated_at: datetime | None = _dt()
    updated_by: str | None = Field(default=None, max_length=32)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    line_no: int = 1
    sku: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    spec: str = Field(default="", max_length=100)
    category: str = Field(default="default", max_length=16)
    qty: float = 1
    unit: str = Field(default="", max_length=16)
    unit_price: int = 0  # fen
    step: int = 1
    weight_g: int | None = None
    picked_qty: float | None = None
    substitute_sku: str | None = Field(default=None, max_length=64)


class Event(SQLModel, table=True):
    """The append-only log of every change; max(id) moving tells consoles to reload."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_subject", "subject_type", "subject_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    actor: str = Field(max_length=32)  # operator id or "system"
    actor_role: str = Field(max_length=32)
    subject_type: str = Field(max_length=24)
    subject_id: str = Field(max_length=64)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    detail: dict[str, Any] = _json()


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    attempt: int = 1
    tier: str = Field(max_length=16)
    courier_id: str | None = Field(default=None, foreign_key="courier.id", index=True, max_length=32)
    # index: the cash ledger finds the couriers who worked on a day by their dispatches (closeout).
    dispatched_at: datetime | None = _dt(index=True)
    handed_over_at: datetime | None = _dt()
    till_receipt: str | None = Field(default=None, max_length=64)
    till_amount: int | None = None
    out_at: datetime | None = _dt()
    finished_at: datetime | None = _dt()
    outcome: str | None = Field(default=None, max_length=16)
    reason_code: str | None = Field(default=None, max_length=32)
    reason_text: str | None = Field(default=None, max_length=500)
    cod_collected: int = 0  # fen


class ServiceRequest(SQLModel, table=True):
    __tablename__ = "service_request"
    __table_args__ = (Index("ix_service_request_status", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=16)  # return / exchange / refund / complaint
    reason: str = Field(default="", max_length=500)
    refund_method: str | None = Field(default=None, max_length=16)
    amount: int = 0
    status: str = Field(default="requested", max_length=16)
    confirmed_by: str | None = Field(default=None, max_length=32)
    replacement_order_id: int | None = Field(default=None, foreign_key="orders.id")
    created_at: datetime | None = _dt()
    updated_at: datetime | None = _dt()
    # delivery branch (#16): the reason code, who opened it, the policy's deadlines, the cash refund's courier
    reason_code: str = Field(default="other", max_length=32)
    created_by: str = Field(default="", max_length=32)
    contact_due_at: datetime | None = _dt()
    refund_due_at: datetime | None = _dt()
    courier_id: str | None = Field(default=None, foreign_key="courier.id", max_length=32)
    status_changed_at: datetime | None = _dt()


class Anomaly(SQLModel, table=True):
    __tablename__ = "anomaly"
    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=40, index=True)
    severity: str = Field(default="warning", max_length=16)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    store_id: str | None = Field(default=None, max_length=32)
    fingerprint: str = Field(max_length=200, unique=True)
    first_seen: datetime | None = _dt()
    last_seen: datetime | None = _dt()
    count: int = 1
    status: str = Field(default="open", max_length=16, index=True)
    silenced_until: datetime | None = _dt()
    owner: str | None = Field(default=None, max_length=32)
    deadline: datetime | None = _dt()
    resolution: str | None = Field(default=None, max_length=2000)
    detail: dict[str, Any] = _json()
    # The alert lifecycle (issue 15): the fingerprint is `key` (rule|subject|episode) plus `#n` for the
    # n-th alert of the same episode after a resolve.
    key: str = Field(default="", max_length=200, index=True)
    subject: str = Field(default="", max_length=200)
    amount: int = 0  # fen at risk
    acknowledged_by: str | None = Field(default=None, max_length=32)
    acknowledged_at: datetime | None = _dt()
    escalated_to: str | None = Field(default=None, max_length=32)  # a role, after the ack timeout
    escalated_at: datetime | None = _dt()
    silenced_by: str | None = Field(default=None, max_length=32)
    silence_reason: str | None = Field(default=None, max_length=500)
    resolved_by: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = _dt()
    customer_informed: bool | None = None


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    severity: str = Field(default="warning", max_length=16)
    dedup_key: str = Field(max_length=200, unique=True)
    subject: str = Field(default="", max_length=200)
    status: str = Field(default="open", max_length=16, index=True)
    raised_at: datetime | None = _dt()
    last_raised_at: datetime | None = _dt()
    raise_count: int = 1
    acknowledged_by: str | None = Field(default=None, max_length=32)
    acknowledged_at: datetime | None = _dt()
    closed_at: datetime | None = _dt()
    payload: dict[str, Any] = _json()


class Closeout(SQLModel, table=True):
    __tablename__ = "closeout"
    id: int | None = Field(default=None, primary_key=True)
    business_date: str = Field(max_length=10, index=True)
    closed_by: str = Field(max_length=32)
    closed_at: datetime | None = _dt()
    reopened_by: str | None = Field(default=None, max_length=32)
    reopened_at: datetime | None = _dt()
    figures: dict[str, Any] = _json()
    report_files: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    checksum: str = Field(default="", max_length=128)


class CashEntry(SQLModel, table=True):
    __tablename__ = "cash_entry"
    id: int | None = Field(default=None, primary_key=True)
    courier_id: str = Field(foreign_key="courier.id", index=True, max_length=32)
    business_date: str = Field(max_length=10, index=True)
    kind: str = Field(max_length=16)  # float / cod_collected / cash_refund / compensation / handed_in
    amount: int = 0
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    actor: str = Field(max_length=32)
    at: datetime | None = _dt()


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    order_no: str = Field(max_length=64, index=True)
    payment_ref: str = Field(max_length=64, unique=True)
    amount: int = 0
    status: str = Field(max_length=16)
    at: datetime | None = _dt()
    received_at: datetime | None = _dt()  # when the notice came in (orphaned an hour later)
    applied_at: datetime | None = _dt()  # when it was matched with its order


class TrackingUpdate(SQLModel, table=True):
    __tablename__ = "tracking_update"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    order_no: str = Field(max_length=64, index=True)
    status: str = Field(max_length=32)
    at: datetime | None = _dt()
    note: str = Field(default="", max_length=500)
    received_at: datetime | None = _dt()
    applied_at: datetime | None = _dt()


class Meta(SQLModel, table=True):
    """Small named values shared by every process on the database (e.g. the checks' last run)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=2000)
    updated_at: datetime | None = _dt()
