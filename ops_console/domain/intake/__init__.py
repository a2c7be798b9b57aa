"""Intake rules: header aliases, value parsing, validation, grouping rows into order drafts.

Pure: no I/O, no database. `services/intake_files.py` reads the files and hands the rows or
objects here; `services/intake.py` stores the drafts. Every problem is a message key plus
parameters (file, row/line/index and field are added when it is shown), see
`ops_console/messages/intake.toml`.

One module per job, in the order they build on each other: `fields` (names, header aliases,
limits, value tables), `problems` (Problem, FieldError), `values` (one value → a typed value),
`drafts` (OrderDraft, IntakeBatch, fingerprint), `assembly` (values → a draft, shared by the
readers), `csv_rows` and `json_records` (the two record shapes), `catalogue` (SKU facts).
This package re-exports the public names, so callers import from `ops_console.domain.intake`.

Decisions where CONTRACTS.md is silent (documented in the issue note as well):

- Required for a customer order: channel, order_no, customer_name, phone, address,
  payment_method and at least one line with sku, name, qty and unit_price. Optional:
  placed_at (missing = the time the order is received, which stays out of the fingerprint),
  paid_amount, payment_status, urgent, custom, appointment_at, remarks, store_id, spec,
  category, unit, weight_g.
- A quantity is a whole number of the SKU's unit (produce is sold in 500 g units): ``2`` and
  ``2.0`` are 2, ``1.5`` is refused. Stock and the order step are whole numbers too, and a
  fraction in a platform file is almost always a weight typed into the quantity column.
- Missing payment_status: ``paid`` for online orders (platforms send them paid), ``pending``
  for cash on delivery and installments. Missing paid_amount: the order total when paid, else 0.
- In a CSV, an order-level cell left blank on a later row of the same order takes the value of
  the other rows (exports with merged cells do this); two different non-blank values make the
  order inconsistent and it is set aside naming the rows.
- A date needs a time; a time without an offset is in the configured time zone; stored as UTC.
- ``kind``: ``customer`` (default), ``replenishment`` (store_id instead of the customer fields,
  channel ``other`` unless given, optional ``delivery_date``; cash on delivery), ``payment`` and
  ``tracking`` (one record each, no lines: NoticeDraft). A CSV row of kind payment / tracking is
  a record of its own even when it names an order of the same file.
"""

from __future__ import annotations

from ops_console.domain.intake.catalogue import (
    line_category,
    unknown_sku_warnings,
)
from ops_console.domain.intake.csv_rows import (
    drafts_from_csv,
    map_columns,
)
from ops_console.domain.intake.drafts import (
    IntakeBatch,
    LineDraft,
    NoticeDraft,
    OrderDraft,
    RejectedOrder,
    SourceRecord,
    fingerprint,
)
from ops_console.domain.intake.fields import (
    FIELD_ALIASES,
    KEY_FIELDS,
    LINE_FIELDS,
    MAX_FEN,
    MAX_LENGTH,
    MAX_QTY,
    MAX_REMARKS_BYTES,
    MAX_WEIGHT_G,
    NOTICE_KINDS,
    ORDER_FIELDS,
    REASON_KEYS,
    RECORD_KINDS,
    REQUIRED_LINE_FIELDS,
    REQUIRED_ORDER_FIELDS,
    category_of,
    field_for_header,
)
from ops_console.domain.intake.json_records import (
    drafts_from_json,
)
from ops_console.domain.intake.problems import (
    Checks,
    FieldError,
    IntakeError,
    Problem,
    Unit,
    error_text,
)
from ops_console.domain.intake.values import (
    RemarksCut,
    check_date_skew,
    is_blank,
    parse_amount,
    parse_bool,
    parse_category,
    parse_channel,
    parse_datetime,
    parse_kind,
    parse_order_no,
    parse_payment_method,
    parse_payment_status,
    parse_phone_field,
    parse_qty,
    parse_remarks,
    parse_text,
    parse_weight,
)

__all__ = [
    "FIELD_ALIASES",
    "KEY_FIELDS",
    "LINE_FIELDS",
    "MAX_FEN",
    "MAX_LENGTH",
    "MAX_QTY",
    "MAX_REMARKS_BYTES",
    "MAX_WEIGHT_G",
    "NOTICE_KINDS",
    "ORDER_FIELDS",
    "REASON_KEYS",
    "RECORD_KINDS",
    "REQUIRED_LINE_FIELDS",
    "REQUIRED_ORDER_FIELDS",
    "Checks",
    "FieldError",
    "IntakeBatch",
    "IntakeError",
    "LineDraft",
    "NoticeDraft",
    "OrderDraft",
    "Problem",
    "RejectedOrder",
    "RemarksCut",
    "SourceRecord",
    "Unit",
    "category_of",
    "check_date_skew",
    "drafts_from_csv",
    "drafts_from_json",
    "error_text",
    "field_for_header",
    "fingerprint",
    "is_blank",
    "line_category",
    "map_columns",
    "parse_amount",
    "parse_bool",
    "parse_category",
    "parse_channel",
    "parse_datetime",
    "parse_kind",
    "parse_order_no",
    "parse_payment_method",
    "parse_payment_status",
    "parse_phone_field",
    "parse_qty",
    "parse_remarks",
    "parse_text",
    "parse_weight",
    "unknown_sku_warnings",
]
