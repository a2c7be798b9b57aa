"""The report files of a closeout: a CSV per table, an Excel workbook (a sheet per table) and a
self-contained HTML page with inline SVG charts (no network, no script).

Text that came from outside (names, store names, reasons typed by people, file names) is escaped
in HTML and neutralised in CSV/Excel: a cell starting with = + - @ tab or CR gets a leading quote,
so a spreadsheet never runs it as a formula. Plain numbers (our own figures) stay as they are.
The folder is 0700 and every file 0600: the reports name couriers and operators.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ops_console.i18n import t

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

Table = tuple[list[str], list[list[Any]]]


def neutralise(value: Any) -> Any:
    """A value safe for a spreadsheet cell: numbers as numbers, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(_DANGEROUS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def tables(figures: dict[str, Any]) -> dict[str, Table]:
    """The figures as named tables (header, rows): one CSV / sheet / HTML table each."""
    orders = figures.get("orders", {})
    summary: list[list[Any]] = [["date", figures.get("date") or f"{figures.get('from')}..{figures.get('to')}"],
                                ["status", figures.get("status")], ["checksum", figures.get("checksum", "")]]
    summary += [[f"orders.{k}", v] for k, v in orders.items() if not isinstance(v, dict)]
    summary += [[f"amounts.{k}", v] for k, v in figures.get("amounts", {}).items() if not isinstance(v, dict)]
    summary += [["on_time_pct", figures.get("on_time_pct")],
                ["picking_within_sla_pct", figures.get("picking_within_sla_pct")]]
    summary += [[key, t("closeout.not_available")] for key in figures.get("not_available", [])]
    breakdown = [[dim, code, n] for dim in ("by_channel", "by_store", "by_payment") for code, n in orders.get(dim, {}).items()]
    breakdown += [["orders_per_hour", hour, n] for hour, n in figures.get("orders_per_hour", {}).items()]
    breakdown += [["online_paid_by_channel", ch, v]
                  for ch, v in figures.get("amounts", {}).get("online_paid_by_channel", {}).items()]
    stages = [[k, v.get("median"), v.get("p90")] for k, v in figures.get("stage_minutes", {}).items()]
    entry = figures.get("entry_minutes") or {}
    if entry.get("orders"):
        stages.append(["entry (phone/fax/email)", entry.get("median"), entry.get("p90")])
    reasons = [[section, code, n] for section in ("escalations", "escalations_by_tier", "deliveries_by_tier", "refusals",
                                                  "not_completed", "cancellations")
               for code, n in figures.get(section, {}).items()]
    sr = figures.get("service_requests", {})
    service = [[section, code, n] for section in ("by_kind", "by_status") for code, n in sr.get(section, {}).items()]
    service += [["opened", "", sr.get("opened")], ["open_total", "", sr.get("open_total")],
                ["returns_exchanges_pct", "", sr.get("returns_exchanges_pct")]]
    anomalies = [[section, rule, n] for section in ("raised", "resolved", "open")
                 for rule, n in figures.get("anomalies", {}).get(section, {}).items()]
    rem = figures.get("reminders", {})
    reminders = [[kind, n, rem.get("acknowledged", {}).get(kind, 0), rem.get("ack_minutes", {}).get(kind, {}).get("median"),
                  rem.get("ack_minutes", {}).get(kind, {}).get("p90")] for kind, n in rem.get("raised", {}).items()]
    checks = [["blocking", b.get("check"), _describe(b)] for b in figures.get("blocking", [])]
    for key in ("carried_over", "accepted_differences"):
        section = figures.get(key) or {}
        checks += [[key, b.get("check"), _describe(b)] for b in section.get("items", [])]
        if section.get("reason"):
            checks.append([key, "reason", section["reason"]])
    out: dict[str, Table] = {
        "summary": (["key", "value"], summary),
        "orders_breakdown": (["dimension", "code", "value"], breakdown),
        "stage_minutes": (["stage", "median", "p90"], stages),
        "reasons": (["section", "code", "count"], reasons),
        "cash": _records(figures.get("cash", []), ["courier_id", "tier", "float", "cod_collected", "refunds_paid",
                                                   "compensation", "expected", "counted", "difference"]),
        "couriers": _records(figures.get("couriers", []), ["courier_id", "name", "tier", "dispatched", "delivered",
                                                           "refused", "not_completed", "cod_collected"]),
        "stores": _records(figures.get("stores", []), ["store_id", "name", "received", "delivered", "refused",
                                                       "not_completed", "cancelled", "amount", "picked",
                                                       "picking_within_sla_pct"]),
        "operators": _records(figures.get("operators", []), ["operator_id", "name", "role", "assigned_by_hand",
                                                             "queue_to_assign_median", "reminders_acknowledged",
                                                             "actions"]),
        "service_requests": (["section", "code", "value"], service),
        "anomalies": (["section", "rule", "count"], anomalies),
        "reminders": (["kind", "raised", "acknowledged", "ack_median", "ack_p90"], reminders),
        "replenishment": _records(figures.get("replenishment", {}).get("by_store", []),
                                  ["store_id", "orders", "amount", "cod_amount"]),
        "checks": (["section", "check", "detail"], checks),
    }
    return out


def _describe(item: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in item.items() if k != "check")


def _records(rows: Sequence[dict[str, Any]], columns: list[str]) -> Table:
    return columns, [[row.get(c) for c in columns] for row in rows]


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    """Written 0600 from the start (never world-readable, not even for a moment)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_reports(folder: Path, figures: dict[str, Any]) -> list[Path]:
    _private_dir(folder)
    written: list[Path] = []
    named = tables(figures)
    for name, (header, rows) in named.items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([[neutralise(v) for v in row] for row in rows])
        path = folder / f"{name}.csv"
        # UTF-8 with BOM: Excel on a Chinese Windows opens it without garbling the names.
        _write_private(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))
        written.append(path)
    path = folder / "report.xlsx"
    _write_private(path, workbook_bytes(named))
    written.append(path)
    path = folder / "report.html"
    _write_private(path, html_report(figures, named).encode("utf-8"))
    written.append(path)
    return written


def workbook_bytes(named: dict[str, Table]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, (header, rows) in named.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append(header)
        for row in rows:
            ws.append([neutralise(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------------


def _bars(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> str:
    """A horizontal bar chart as inline SVG (labels escaped)."""
    e = html.escape
    if not items:
        return f"<figure><figcaption>{e(title)}</figcaption><p>{e(t('closeout.no_data'))}</p></figure>"
    top = max((v for _, v in items), default=0) or 1
    row_h, label_w, bar_w = 22, 170, 360
    height = row_h * len(items) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" height="{height}" '
             f'role="img" aria-label="{e(title)}">']
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        w = max(1, round(bar_w * value / top)) if value else 0
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{e(str(label))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="#3b7dd8"/>')
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 15}" font-size="12">{e(f"{value:g}{unit}")}</text>')
    parts.append("</svg>")
    return f"<figure><figcaption>{e(title)}</figcaption>{''.join(parts)}</figure>"


def html_report(figures: dict[str, Any], named: dict[str, Table] | None = None) -> str:
    e = html.escape
    named = named or tables(figures)
    period = figures.get("date") or f"{figures.get('from')} – {figures.get('to')}"
    hours = figures.get("orders_per_hour", {})
    per_hour = [(f"{h:02d}:00", float(hours.get(f"{h:02d}", 0))) for h in range(24)]
    stages = [(k, float(v.get("median") or 0)) for k, v in figures.get("stage_minutes", {}).items()]
    reasons = [(f"{section}: {code}", float(n)) for section in ("refusals", "not_completed", "cancellations",
                                                                "escalations")
               for code, n in figures.get(section, {}).items()]
    charts = (_bars(t("closeout.chart.per_hour"), per_hour) + _bars(t("closeout.chart.stages"), stages, " min")
              + _bars(t("closeout.chart.reasons"), reasons))
    body = []
    for name, (header, rows) in named.items():
        if not rows:
            continue
        head = "".join(f"<th>{e(str(h))}</th>" for h in header)
        cells = "".join("<tr>" + "".join(f"<td>{e('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                        for row in rows)
        body.append(f"<h2>{e(name)}</h2><table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    title = t("closeout.html.title", period=period)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        # No script, no outside resource: the page opens the same with the network unplugged.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        f"<title>{e(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #bbb;padding:2px 8px;"
        "text-align:left}figure{margin:1em 0}figcaption{font-weight:bold}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{e(str(figures.get('status', '')))} · {e(str(figures.get('checksum', '')))}</p>"
        f"{charts}{''.join(body)}</body></html>\n"
    )
