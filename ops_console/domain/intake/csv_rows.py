"""CSV rows → order drafts: column mapping, grouping rows of one order, merged cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.intake.assembly import (
    _INVALID,
    _Collector,
    _finish_order,
    _line,
    _set_aside,
)
from ops_console.domain.intake.drafts import (
    IntakeBatch,
    LineDraft,
    NoticeDraft,
    OrderDraft,
    RejectedOrder,
    _ranges,
)
from ops_console.domain.intake.fields import (
    NOTICE_KINDS,
    ORDER_FIELDS,
    REASON_KEYS,
    _norm_header,
    _norm_value,
    field_for_header,
)
from ops_console.domain.intake.problems import (
    Checks,
    Problem,
    Unit,
    error_text,
)
from ops_console.domain.intake.values import (
    _show,
    _show_phone,
    is_blank,
    parse_channel,
    parse_kind,
    parse_order_no,
)
from ops_console.domain.types import (
    Channel,
)


@dataclass
class _Row:
    position: int
    cells: Sequence[str]
    values: dict[str, str]  # field → raw cell (non-blank only)
    width_ok: bool
    inherited: bool = False  # channel / order number taken from the row above (merged cells)
    problem: Problem | None = None  # the row could not be read as written (a stray quote …)


def map_columns(header: Sequence[str], position: int = 1) -> tuple[list[str | None], dict[str, str], list[Problem]]:
    """Field per column (None = ignored), the header text of each field, warnings."""
    fields: list[str | None] = []
    columns: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[Problem] = []
    for text in header:
        name = field_for_header(text) if text is not None else None
        if name == "lines":
            name = None
        if name is None:
            if text and text.strip() and _norm_header(text) not in REASON_KEYS:
                unknown.append(text.strip())
            fields.append(None)
        elif name in columns:
            warnings.append(
                Problem("intake.column.duplicate", position, name, text, {"used": columns[name], "ignored": text})
            )
            fields.append(None)
        else:
            columns[name] = text.strip()
            fields.append(name)
    if unknown:
        warnings.insert(0, Problem("intake.column.unknown", position, None, None, {"columns": short_list(unknown)}))
    return fields, columns, warnings


def short_list(names: Sequence[str], limit: int = 20) -> str:
    """Names for a message: a 100,000-column header must not make a 100,000-name warning."""
    shown = ", ".join(n if len(n) <= 40 else n[:37] + "..." for n in names[:limit])
    return shown if len(names) <= limit else f"{shown} … (+{len(names) - limit})"


def drafts_from_csv(
    source: str,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    tz: ZoneInfo,
    *,
    checks: Checks | None = None,
    row_problems: Mapping[int, Problem] | None = None,
) -> IntakeBatch:
    """Rows (position, cells) → orders. Rows with the same (channel, order_no) are one order.

    `row_problems`: rows the reader could not take as written (position → problem); their order
    is set aside whole, naming the row. Any exception while building one order sets that order
    aside with the error, never the file.
    """
    batch = IntakeBatch(source, Unit.ROW)
    row_problems = row_problems or {}
    fields, columns, warnings = map_columns(header)
    batch.warnings.extend(warnings)
    width = len(header)
    groups: dict[tuple[str, str], list[_Row]] = {}
    # Rows whose channel or order number cannot be read: grouped by what they say, set aside.
    orphans: dict[tuple[str, ...], list[_Row]] = {}
    previous: tuple[str, str] | None = None
    for position, cells in rows:
        if all(is_blank(cell) for cell in cells):
            continue
        values = {
            name: cells[i]
            for i, name in enumerate(fields)
            if name is not None and i < len(cells) and not is_blank(cells[i])
        }
        row = _Row(position, cells, values, len(cells) == width, problem=row_problems.get(position))
        if "kind" in values and _is_notice(values["kind"]):
            # A payment or tracking row is a record of its own, never a line of the order it names.
            previous = None
            groups[("#notice", str(position))] = [row]
            continue
        try:
            channel = parse_channel(values["channel"]) if "channel" in values else None
        except Exception:  # noqa: BLE001 - unreadable here means "set aside below", whatever the cause
            channel = None
        try:
            order_no = parse_order_no(values["order_no"]) if "order_no" in values else None
        except Exception:  # noqa: BLE001 - as above
            order_no = None
        # Merged cells: a row that leaves channel (and order number) blank continues the order
        # of the row just above it, when what it does give agrees.
        if previous is not None and "channel" not in values and order_no in (None, previous[1]):
            channel, order_no = Channel(previous[0]), previous[1]
            row.values.setdefault("order_no", order_no)
            row.inherited = True
        if channel is not None and order_no is not None:
            previous = (channel.value, order_no)
            groups.setdefault(previous, []).append(row)
        elif order_no is not None:
            previous = None
            orphans.setdefault(("?", _norm_value(values.get("channel", "")), order_no), []).append(row)
        else:
            previous = None
            orphans.setdefault(("#", str(position)), []).append(row)

    # An order one of whose rows has an unreadable channel is set aside too: all or nothing.
    tainted: dict[str, list[int]] = {}
    for okey, group in orphans.items():
        order_no = okey[2] if okey[0] == "?" else None
        if order_no is not None:
            tainted.setdefault(order_no, []).extend(r.position for r in group)
        c = _Collector(tz, checks)
        _guarded_order(c, source, group, columns, width)
        positions = tuple(r.position for r in group)
        batch.rejected.append(RejectedOrder(positions, tuple(_set_aside(c.problems, positions, order_no))))

    for key, group in groups.items():
        c = _Collector(tz, checks)
        draft = _guarded_order(c, source, group, columns, width)
        positions = tuple(r.position for r in group)
        if key[0] == "#notice":
            key = _notice_key(group[0])
        else:
            for pos in tainted.get(key[1], []):
                c.add("intake.order.unclear_row", positions[0], "channel", columns.get("channel", "channel"), row=pos)
        if isinstance(draft, NoticeDraft) and not c.problems:
            batch.notices.append(draft)
        elif isinstance(draft, OrderDraft) and not c.problems:
            batch.drafts.append(draft)
            if c.warnings:
                batch.warnings.extend(c.warnings)
                batch.noted.append(RejectedOrder(positions, tuple(c.warnings), key))
        else:
            batch.rejected.append(RejectedOrder(positions, tuple(_set_aside(c.problems, positions, key[1])), key))
    batch.rejected.sort(key=lambda r: r.positions[0])
    return batch


def _notice_key(row: _Row) -> tuple[str, str]:
    return (row.values.get("channel", "?"), row.values.get("order_no", "?"))


def _is_notice(raw: str) -> bool:
    try:
        return parse_kind(raw) in NOTICE_KINDS
    except Exception:  # noqa: BLE001 - an unreadable kind is reported when the record is built
        return False


def _guarded_order(
    c: _Collector, source: str, group: list[_Row], columns: dict[str, str], width: int
) -> OrderDraft | NoticeDraft | None:
    """_csv_order, with any exception setting this one order aside (named) instead of the file."""
    try:
        return _csv_order(c, source, group, columns, width)
    except Exception as exc:  # noqa: BLE001 - one record's surprise must not sink the others
        c.add("intake.record.error", group[0].position, None, None, error=error_text(exc))
        return None


def _csv_order(
    c: _Collector, source: str, group: list[_Row], columns: dict[str, str], width: int
) -> OrderDraft | NoticeDraft | None:
    first = group[0].position
    unread = [row.problem for row in group if row.problem is not None]
    c.problems.extend(unread)
    shifted = [row for row in group if not row.width_ok and row.problem is None]
    for row in shifted:
        # The cells of a shifted row are in the wrong columns: checking them would only mislead.
        c.add("intake.row.width", row.position, None, None, found=len(row.cells), expected=width)
    if shifted or unread:
        group = [row for row in group if row.width_ok and row.problem is None]
    values: dict[str, Any] = {}
    for name in ORDER_FIELDS:
        column = columns.get(name, name)
        seen: list[tuple[int, Any, str]] = []  # (position, parsed, raw)
        for row in group:
            raw = row.values.get(name)
            if raw is None:
                continue
            parsed = c.parse_order_field(name, raw, row.position, column)
            if parsed is not _INVALID:
                seen.append((row.position, parsed, raw))
            else:
                values[name] = _INVALID
        if not seen:
            continue
        distinct = {repr(p) for _, p, _ in seen}
        if len(distinct) > 1:
            rows_text = _ranges([pos for pos, _, _ in seen])
            show = _show_phone if name == "phone" else _show
            shown = " / ".join(dict.fromkeys(show(raw) for _, _, raw in seen))
            for pos, _, _ in seen:
                c.add("intake.order.inconsistent", pos, name, column, rows=rows_text, values=shown)
            values[name] = _INVALID
        elif values.get(name) is not _INVALID:
            values[name] = seen[0][1]
    lines: list[LineDraft] = []
    if values.get("kind") in NOTICE_KINDS:  # a payment or tracking row has no order lines
        group = []
    for row in group:
        line = _line(c, row.values, row.position, len(lines) + 1, columns)
        if line is not None:
            lines.append(line)
    if shifted or unread:
        return None
    positions = tuple(r.position for r in group) or (first,)
    return _finish_order(c, source, Unit.ROW, positions, first, values, columns, lines)
