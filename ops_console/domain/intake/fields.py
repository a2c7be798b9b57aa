"""Intake vocabulary: the fields, their header aliases (English / Chinese), length and size limits,
and the value tables (channels, payment methods and statuses, kinds, categories, yes/no).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ops_console.domain.types import (
    CHANNEL_ALIASES,
    Category,
    Channel,
    PaymentMethod,
    PaymentStatus,
)

ORDER_FIELDS: tuple[str, ...] = (
    "channel",
    "order_no",
    "kind",
    "placed_at",
    "customer_name",
    "phone",
    "address",
    "payment_method",
    "paid_amount",
    "payment_status",
    "urgent",
    "custom",
    "appointment_at",
    "remarks",
    "store_id",
    "delivery_date",
    "payment_ref",
    "amount",
    "status",
    "at",
    "note",
)
# Fields of payment notifications and tracking updates only (kind = payment / tracking).
NOTICE_FIELDS: tuple[str, ...] = ("payment_ref", "amount", "status", "at", "note")
NOTICE_KINDS = frozenset({"payment", "tracking"})
REQUIRED_FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "replenishment": ("order_no", "store_id"),  # channel: `other` (the stores' own system) unless given
    "payment": ("channel", "order_no", "payment_ref", "amount", "status"),
    "tracking": ("channel", "order_no", "status"),
}
LINE_FIELDS: tuple[str, ...] = ("sku", "name", "spec", "category", "qty", "unit", "unit_price", "weight_g")
REQUIRED_ORDER_FIELDS: tuple[str, ...] = (
    "channel",
    "order_no",
    "customer_name",
    "phone",
    "address",
    "payment_method",
)
REQUIRED_LINE_FIELDS: tuple[str, ...] = ("sku", "name", "qty", "unit_price")
_REQUIRED_LINE_SET = frozenset(REQUIRED_LINE_FIELDS)
KEY_FIELDS = ("channel", "order_no")

# Header / key texts (Chinese or English) → field. Matching ignores case, spaces, "_" and "-",
# full-width forms and a leading "*" (the "required" mark of spreadsheet templates).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "channel": ("channel", "渠道", "平台"),
    "order_no": ("order_no", "order_id", "订单号", "订单编号"),
    "kind": ("kind", "类型"),
    "placed_at": ("placed_at", "下单时间"),
    "customer_name": ("customer_name", "客户姓名", "收货人"),
    "phone": ("phone", "联系电话", "手机号"),
    "address": ("address", "收货地址", "地址"),
    "payment_method": ("payment_method", "支付方式"),
    "paid_amount": ("paid_amount", "实付金额"),
    "payment_status": ("payment_status", "支付状态"),
    "urgent": ("urgent", "加急"),
    "custom": ("custom", "定制"),
    "appointment_at": ("appointment_at", "预约时间"),
    "remarks": ("remarks", "备注"),
    "store_id": ("store_id", "门店编号"),
    "delivery_date": ("delivery_date", "配送日期", "送货日期"),
    "payment_ref": ("payment_ref", "支付流水号", "交易号", "支付单号"),
    "amount": ("amount", "金额", "支付金额"),
    "status": ("status", "状态"),
    "at": ("at", "时间", "发生时间"),
    "note": ("note", "说明"),
    "sku": ("sku", "商品编码"),
    "name": ("name", "商品名称"),
    "spec": ("spec", "规格"),
    "category": ("category", "品类"),
    "qty": ("qty", "数量"),
    "unit": ("unit", "单位"),
    "unit_price": ("unit_price", "单价"),
    "weight_g": ("weight_g", "重量(g)", "重量"),
    "lines": ("lines", "商品明细", "明细"),
}
# Columns our own quarantine files add: ignored without a warning when a fixed file comes back.
REASON_KEYS = frozenset({"reason", "_reason"})

MAX_LENGTH: dict[str, int] = {
    "order_no": 64,
    "customer_name": 100,
    "phone": 40,
    "address": 2000,
    "store_id": 32,
    "sku": 64,
    "name": 200,
    "spec": 100,
    "unit": 16,
    "payment_ref": 64,
    "status": 64,
    "note": 500,
}
# Remarks are stored verbatim up to this many bytes of UTF-8; a longer one is cut (with a warning
# and a copy of the whole record in quarantine) rather than losing the order over it.
MAX_REMARKS_BYTES = 64 * 1024
MAX_QTY = 1_000_000
MAX_FEN = 10_000_000_000  # 100 million yuan: anything above is an entry error, not an order
MAX_WEIGHT_G = 10_000_000
MAX_NUMBER_TEXT = 64  # characters of a number as written: longer is never a real quantity or weight
# Years a date may name before the range check against now: outside them the conversion to UTC
# itself can overflow (0001-01-01T00:00+08:00), so they are refused before converting.
MIN_YEAR, MAX_YEAR = 1900, 2999


def _norm_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff").lstrip("*").strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


_HEADER_MAP: dict[str, str] = {_norm_header(alias): f for f, aliases in FIELD_ALIASES.items() for alias in aliases}


@functools.lru_cache(maxsize=4096)
def field_for_header(header: str) -> str | None:
    """The field a header or JSON key means, or None when unknown."""
    return _HEADER_MAP.get(_norm_header(header))


def _norm_value(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


_CHANNELS: dict[str, Channel] = {c.value: c for c in Channel}
_CHANNELS.update({_norm_value(k): v for k, v in CHANNEL_ALIASES.items()})
_PAYMENT_METHODS: dict[str, PaymentMethod] = {m.value: m for m in PaymentMethod} | {
    "在线支付": PaymentMethod.ONLINE,
    "线上支付": PaymentMethod.ONLINE,
    "在线": PaymentMethod.ONLINE,
    "货到付款": PaymentMethod.COD,
    "到付": PaymentMethod.COD,
    "分期付款": PaymentMethod.INSTALLMENT,
    "分期": PaymentMethod.INSTALLMENT,
}
_PAYMENT_STATUSES: dict[str, PaymentStatus] = {s.value: s for s in PaymentStatus} | {
    "已支付": PaymentStatus.PAID,
    "已付款": PaymentStatus.PAID,
    "待支付": PaymentStatus.PENDING,
    "未支付": PaymentStatus.PENDING,
    "支付失败": PaymentStatus.FAILED,
}
# A payment notification's status: the order's payment statuses, and a refund.
_NOTICE_PAYMENT_STATUSES: dict[str, str] = {k: v.value for k, v in _PAYMENT_STATUSES.items()} | {
    "refunded": "refunded",
    "已退款": "refunded",
    "退款": "refunded",
}
RECORD_KINDS = ("customer", "replenishment", "payment", "tracking")
_KINDS: dict[str, str] = {k: k for k in RECORD_KINDS} | {
    "客户订单": "customer",
    "顾客订单": "customer",
    "零售": "customer",
    "补货": "replenishment",
    "补货订单": "replenishment",
    "支付": "payment",
    "支付通知": "payment",
    "物流": "tracking",
    "物流更新": "tracking",
}
_CATEGORIES: dict[str, Category] = {c.value: c for c in Category} | {
    "蔬果": Category.PRODUCE,
    "生鲜": Category.PRODUCE,
    "蔬菜": Category.PRODUCE,
    "水果": Category.PRODUCE,
    "冷藏": Category.CHILLED,
    "冷冻": Category.FROZEN,
}
_BOOLS: dict[str, bool] = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
}


def category_of(value: str | None) -> Category:
    """蔬果/生鲜/produce, 冷藏/chilled, 冷冻/frozen; anything else is `default`."""
    if not value:
        return Category.DEFAULT
    found = _CATEGORIES.get(value)
    return found if found is not None else _CATEGORIES.get(_norm_value(value), Category.DEFAULT)
