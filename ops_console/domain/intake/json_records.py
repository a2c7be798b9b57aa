"""JSON / JSON Lines records → order drafts: one object per order with `lines: [...]`."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.intake.assembly import (
    _INVALID,
    _Collector,
    _finish_order,
    _line,
)
from ops_console.domain.intake.csv_rows import short_list
from ops_console.domain.intake.drafts import (
    IntakeBatch,
    LineDraft,
    NoticeDraft,
    OrderDraft,
    RejectedOrder,
    SourceRecord,
)
from ops_console.domain.intake.fields import (
    NOTICE_KINDS,
    REASON_KEYS,
    _norm_header,
    field_for_header,
)
from ops_console.domain.intake.problems import (
    Checks,
    FieldError,
    Problem,
    Unit,
    error_text,
)
from ops_console.domain.intake.values import (
    _LINE_PARSERS,
    _ORDER_PARSERS,
    TZ_PARSERS,
    RemarksCut,
    _show,
    is_blank,
)
from ops_console.domain.types import (
    Channel,
)


def drafts_from_json(
    source: str, records: Iterable[SourceRecord], tz: ZoneInfo, unit: Unit, *, checks: Checks | None = None
) -> IntakeBatch:
    """One object per order with `lines: [...]`; positions are JSON Lines line numbers or list indexes.

    Each record is built inside its own guard: any exception sets that record aside with the
    error, and the others go on.
    """
    batch = IntakeBatch(source, unit)
    unknown: dict[str, int] = {}  # key → first position seen
    for record in records:
        data = record.data
        if type(data) is dict and not data and record.error is None and record.error_key is None:
            # Fast path for the empty object (a file of a million of them must not take minutes).
            pos = record.position
            batch.rejected.append(RejectedOrder((pos,), (Problem("intake.json.no_fields", pos),)))
            continue
        c = _Collector(tz, checks)
        draft: OrderDraft | NoticeDraft | None = None
        key: tuple[str, str] | None = None
        try:
            if record.error_key is not None:
                c.add(record.error_key, record.position, None, None, **(record.error_params or {}))
            elif record.error is not None:
                c.add("intake.json.invalid", record.position, None, None, error=record.error)
            elif not isinstance(record.data, dict):
                c.add("intake.json.not_object", record.position, None, None, value=_show(record.data))
            elif not _key_plan(tuple(record.data), "")[0]:
                # No key names an order field ({} or someone else's data): one reason, not seven.
                c.add("intake.json.no_fields", record.position, None, None)
                for k in _key_plan(tuple(record.data), "")[1]:
                    unknown.setdefault(k, record.position)
            else:
                draft, key = _json_order(c, source, unit, record.position, record.data, unknown)
        except Exception as exc:  # noqa: BLE001 - one record's surprise must not sink the others
            c.add("intake.record.error", record.position, None, None, error=error_text(exc))
            draft = None
        if isinstance(draft, NoticeDraft) and not c.problems:
            batch.notices.append(draft)
        elif isinstance(draft, OrderDraft) and not c.problems:
            batch.drafts.append(draft)
            if c.warnings:
                batch.warnings.extend(c.warnings)
                batch.noted.append(RejectedOrder((record.position,), tuple(c.warnings), key))
        else:
            batch.rejected.append(RejectedOrder((record.position,), tuple(c.problems), key))
    if unknown:
        first = min(unknown.values())
        batch.warnings.append(Problem("intake.column.unknown", first, None, None, {"columns": short_list(list(unknown))}))
    return batch


@functools.lru_cache(maxsize=1024)
def _key_plan(
    keys: tuple[str, ...], prefix: str
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], dict[str, str]]:
    """For the keys of an object: (key, field) of the known ones, the unknown keys, field → key shown."""
    known: list[tuple[str, str]] = []
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for k in keys:
        name = field_for_header(k)
        if name is None:
            if _norm_header(k) not in REASON_KEYS:
                unknown.append(prefix + k)
        elif name not in columns:  # two keys meaning the same field: the first one wins
            columns[name] = prefix + k
            known.append((k, name))
    return tuple(known), tuple(unknown), columns


@functools.lru_cache(maxsize=1024)
def _line_plan(keys: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], dict[str, str]]:
    """Like _key_plan for the keys of a line object; an order field inside a line counts as unknown."""
    known, strangers, _columns = _key_plan(keys, "")
    line_known = tuple((k, name) for k, name in known if name in _LINE_PARSERS)
    misplaced = tuple("lines[]." + k for k, name in known if name not in _LINE_PARSERS)
    return line_known, tuple("lines[]." + k for k in strangers) + misplaced, {name: k for k, name in line_known}


def _json_order(
    c: _Collector, source: str, unit: Unit, position: int, obj: Mapping[str, Any], unknown: dict[str, int]
) -> tuple[OrderDraft | NoticeDraft | None, tuple[str, str] | None]:
    known, strangers, columns = _key_plan(tuple(obj), "")
    for k in strangers:
        unknown.setdefault(k, position)
    values: dict[str, Any] = {}
    tz = c.tz
    items: Any = None
    for k, name in known:
        value = obj[k]
        parser = _ORDER_PARSERS.get(name)
        if parser is None:
            if name == "lines":
                items = value
            else:  # a line field on the order: ignored, so say so
                unknown.setdefault(columns[name], position)
            continue
        if value is None or (
            type(value) is str and (not value or value[0] in '="' or value[0].isspace() or value[-1].isspace())
            and is_blank(value) and name != "remarks"
        ):  # fmt: skip
            continue
        try:
            values[name] = parser(value, tz) if parser in TZ_PARSERS else parser(value)
        except RemarksCut as exc:  # kept, cut, noted (the record is copied to quarantine)
            c.warnings.append(Problem(exc.key, position, name, columns[name], exc.params))
            values[name] = exc.text
        except FieldError as exc:
            c.problems.append(Problem(exc.key, position, name, columns[name], exc.params))
            values[name] = _INVALID
    key = None
    if isinstance(values.get("channel"), Channel) and isinstance(values.get("order_no"), str):
        key = (values["channel"].value, values["order_no"])
    lines: list[LineDraft] = []
    lines_col = columns.get("lines", "lines")
    if values.get("kind") in NOTICE_KINDS:  # a payment or tracking record has no lines
        return _finish_order(c, source, unit, (position,), position, values, columns, lines), key
    if items is None or items == []:
        c.add("intake.lines.missing", position, "lines", lines_col)
    elif not isinstance(items, list):
        c.add("intake.lines.not_list", position, "lines", lines_col)
    else:
        for i, item in enumerate(items):
            if type(item) is not dict:
                c.add("intake.lines.not_object", position, f"lines[{i}]", f"{lines_col}[{i}]", value=_show(item))
                continue
            known, strangers, line_cols = _line_plan(tuple(item))
            for k in strangers:
                unknown.setdefault(k, position)
            line = _line(c, {name: item[k] for k, name in known}, position, i + 1, line_cols, i, lines_col)
            if line is not None:
                lines.append(line)
    draft = _finish_order(c, source, unit, (position,), position, values, columns, lines)
    return draft, key
