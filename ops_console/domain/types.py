"""The shared vocabulary of CONTRACTS.md as enums: one name for one thing."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    APP = "app"
    MEITUAN = "meituan"
    ELEME = "eleme"
    JD = "jd"
    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    OTHER = "other"


# Chinese names used in platform files, mapped to the channel codes above.
CHANNEL_ALIASES: dict[str, Channel] = {
    "美团": Channel.MEITUAN,
    "美团外卖": Channel.MEITUAN,
    "饿了么": Channel.ELEME,
    "京东": Channel.JD,
    "京东到家": Channel.JD,
    "电话": Channel.PHONE,
    "传真": Channel.FAX,
    "邮件": Channel.EMAIL,
    "电子邮件": Channel.EMAIL,
    "小程序": Channel.APP,
    "app": Channel.APP,
    "小程序/app": Channel.APP,
    "其他": Channel.OTHER,
}


class OrderKind(StrEnum):
    CUSTOMER = "customer"
    REPLENISHMENT = "replenishment"


class Role(StrEnum):
    """Roles of people (operators) plus the system itself (intake, scheduler, simulator)."""

    DISPATCHER = "dispatcher"
    CUSTOMER_SERVICE = "customer_service"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


HUMAN_ROLES = (Role.DISPATCHER, Role.CUSTOMER_SERVICE, Role.SUPERVISOR)


class Status(StrEnum):
    RECEIVED = "received"
    MANUAL_REVIEW = "manual_review"
    REJECTED = "rejected"
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    PICKING = "picking"
    PICKED = "picked"
    DISPATCHED = "dispatched"
    HELD = "held"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    REFUSED = "refused"
    NOT_COMPLETED = "not_completed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({Status.COMPLETED, Status.REJECTED, Status.CANCELLED})
OPEN_STATUSES = frozenset(s for s in Status if s not in FINAL_STATUSES)
# "On the road": a courier carries the order (busy couriers, the board's delivery clocks).
ON_THE_ROAD = frozenset({Status.DISPATCHED, Status.HELD, Status.OUT_FOR_DELIVERY})


class Action(StrEnum):
    RECEIVE = "receive"
    REVIEW_PASS = "review_pass"
    REVIEW_FAIL = "review_fail"
    APPROVE = "approve"
    REJECT = "reject"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    CLAIM = "claim"
    RELEASE = "release"
    START_PICKING = "start_picking"
    REPORT_SHORTAGE = "report_shortage"
    FINISH_PICKING = "finish_picking"
    ESCALATE = "escalate"
    DISPATCH = "dispatch"
    UNDISPATCH = "undispatch"
    HAND_OVER = "hand_over"
    CALL = "call"
    RELEASE_HOLD = "release_hold"
    DELIVER = "deliver"
    REFUSE = "refuse"
    FAIL = "fail"
    REDISPATCH = "redispatch"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    REVEAL_PHONE = "reveal_phone"


class Tier(StrEnum):
    COMPANY = "company"
    THIRD_PARTY = "third_party"
    STORE_STAFF = "store_staff"
    EMERGENCY = "emergency"


TIER_ORDER = (Tier.COMPANY, Tier.THIRD_PARTY, Tier.STORE_STAFF, Tier.EMERGENCY)


def next_tier(tier: Tier) -> Tier | None:
    i = TIER_ORDER.index(tier)
    return TIER_ORDER[i + 1] if i + 1 < len(TIER_ORDER) else None


class AssignMethod(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"
    SUGGESTED = "suggested"


class PaymentMethod(StrEnum):
    ONLINE = "online"
    COD = "cod"
    INSTALLMENT = "installment"


class PaymentStatus(StrEnum):
    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"


class Category(StrEnum):
    PRODUCE = "produce"
    CHILLED = "chilled"
    FROZEN = "frozen"
    DEFAULT = "default"


class StoreKind(StrEnum):
    SELF = "self"
    FRANCHISE = "franchise"


class CallOutcome(StrEnum):
    NOW = "now"
    APPOINTMENT = "appointment"
    ADDRESS_CORRECTED = "address_corrected"
    UNREACHABLE = "unreachable"


class ShortageResolution(StrEnum):
    SUBSTITUTE = "substitute"
    PARTIAL = "partial"
    WAIT = "wait"


class DeliveryOutcome(StrEnum):
    SIGNED = "signed"
    REFUSED = "refused"
    NOT_COMPLETED = "not_completed"
    UNDISPATCHED = "undispatched"
    CANCELLED = "cancelled"


class ReviewReason(StrEnum):
    STOCK = "stock"
    PRICE = "price"
    PAYMENT = "payment"
    DATA = "data"


class RefusalReason(StrEnum):
    LATE = "late"
    QUALITY = "quality"
    SERVICE_ATTITUDE = "service_attitude"
    WRONG_ITEMS = "wrong_items"
    OTHER = "other"


class NotCompletedReason(StrEnum):
    CUSTOMER_ABSENT = "customer_absent"
    CUSTOMER_UNREACHABLE = "customer_unreachable"
    WRONG_ADDRESS = "wrong_address"
    GOODS_DAMAGED = "goods_damaged"
    VEHICLE_PROBLEM = "vehicle_problem"
    OTHER = "other"


class CancelReason(StrEnum):
    OUT_OF_AREA = "out_of_area"
    CUSTOMER_CANCELLED = "customer_cancelled"
    DUPLICATE = "duplicate"
    CUSTOMER_UNREACHABLE = "customer_unreachable"
    OUT_OF_STOCK = "out_of_stock"
    ENTRY_ERROR = "entry_error"
    OTHER = "other"


class EscalationReason(StrEnum):
    NO_FREE_COURIER = "no_free_courier"
    WAITED_TOO_LONG = "waited_too_long"
    COURIER_AT_CAPACITY = "courier_at_capacity"
    STORE_CANNOT_SUPPLY = "store_cannot_supply"
    OTHER = "other"


class SubjectType(StrEnum):
    """What an Event is about."""

    ORDER = "order"
    REMINDER = "reminder"
    ANOMALY = "anomaly"
    KEYWORD = "keyword"
    CLOSEOUT = "closeout"
    OPERATOR = "operator"
    STORE = "store"
    COURIER = "courier"
    SKU = "sku"
    INTAKE = "intake"
    SERVICE_REQUEST = "service_request"
