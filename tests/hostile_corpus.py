"""The hostile-file corpus of intake (issue 11): files a careless export or a hostile platform makes.

Each maker writes one file into a folder and returns what must come of it: how many orders are
good (all kept) and how many bad (each set aside with its reason). The big files are generated
here rather than committed; `python -m tests.hostile_corpus tests/data/intake/hostile` writes
the small ones for a person to look at.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER = ["channel", "order_no", "placed_at", "customer_name", "phone", "address", "payment_method",
          "remarks", "sku", "name", "qty", "unit_price"]  # fmt: skip
WHEN = "2026-11-24 09:05:00"


@dataclass(frozen=True)
class Expect:
    good: int  # orders that must be stored
    bad: int  # orders that must be set aside, each with a reason
    noted: int = 0  # orders stored whose record is also copied to quarantine (a cut remark)


def row(n: int, **over: str) -> list[str]:
    values = {"channel": "meituan", "order_no": f"H{n:06d}", "placed_at": WHEN, "customer_name": "王芳",
              "phone": f"139{n:08d}"[:11], "address": f"柳汀区阳光小区{n % 9 + 1}栋", "payment_method": "在线支付",
              "remarks": "", "sku": "P001", "name": "上海青", "qty": "1", "unit_price": "3.50"}  # fmt: skip
    values.update(over)
    return [values[h] for h in HEADER]


def obj(n: int, **over: object) -> dict[str, object]:
    data: dict[str, object] = dict(zip(HEADER[:8], row(n)[:8], strict=True))
    line: dict[str, object] = {"sku": "P001", "name": "上海青", "qty": 1, "unit_price": "3.50"}
    for k in ("qty", "unit_price"):
        if k in over:
            line[k] = over.pop(k)
    data.update(over)
    data["lines"] = [line]
    return data


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue()


def stray_quote(folder: Path) -> tuple[Path, Expect]:
    """3,000 rows, one with a lone `"` opening a cell: that order aside, the other 2,999 kept."""
    lines = _csv([row(n) for n in range(3000)]).split("\r\n")
    lines[1501] = lines[1501].replace("王芳", '"王芳', 1)  # row 1501 = order H001500
    path = folder / "stray_quote.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    return path, Expect(2999, 1)


def huge_field(folder: Path) -> tuple[Path, Expect]:
    """A 131,073+ character address (over csv's default limit) beside good rows."""
    path = folder / "huge_field.csv"
    path.write_text(_csv([row(0), row(1, address="阳" * 140_000), row(2)]), encoding="utf-8")
    return path, Expect(2, 1)


def deep_json(folder: Path) -> tuple[Path, Expect]:
    """A JSON Lines record nested 1,000 deep (a 2 KB line) between two good ones."""
    deep = '{"channel": "meituan", "order_no": "D1", "lines": ' + "[" * 1000 + "]" * 1000 + "}"
    path = folder / "deep.jsonl"
    path.write_text("\n".join([json.dumps(obj(0)), deep, json.dumps(obj(1))]) + "\n", encoding="utf-8")
    return path, Expect(2, 1)


def deep_json_array(folder: Path) -> tuple[Path, Expect]:
    """The same inside one JSON list: only the deep element is lost."""
    deep = '{"order_no": "D2", "lines": ' + "[" * 1000 + "]" * 1000 + "}"
    path = folder / "deep_array.json"
    path.write_text("[" + ",".join([json.dumps(obj(0)), deep, json.dumps(obj(1))]) + "]", encoding="utf-8")
    return path, Expect(2, 1)


def deep_json_wrapped(folder: Path) -> tuple[Path, Expect]:
    """The same inside the `{"orders": [...]}` wrapper some platforms export."""
    deep = '{"order_no": "D3", "lines": ' + "[" * 1000 + "]" * 1000 + "}"
    path = folder / "deep_wrapped.json"
    body = ",\n  ".join([json.dumps(obj(0)), deep, json.dumps(obj(1))])
    path.write_text('{"source": "export", "orders" :\n [' + body + "]}", encoding="utf-8")
    return path, Expect(2, 1)


def huge_numbers(folder: Path) -> tuple[Path, Expect]:
    """1e308 and "1e999999999" prices, a "1e7000000" quantity, a 5,000-digit integer."""
    records = [obj(0), obj(1, unit_price=1e308), obj(2, unit_price="1e999999999"), obj(3, qty="1e7000000"),
               obj(4, paid_amount="1e999999999"), obj(6), obj(7, qty="-1e7000000")]  # fmt: skip
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    text += "\n" + json.dumps(obj(5)).replace('"qty": 1', '"qty": ' + "9" * 5000) + "\n"
    path = folder / "huge_numbers.jsonl"
    path.write_text(text, encoding="utf-8")
    return path, Expect(2, 6)


def far_dates(folder: Path) -> tuple[Path, Expect]:
    """Years 0001 and 9999 (with offsets that overflow), and a time 3 years away."""
    rows = [row(0), row(1, placed_at="0001-01-01T00:00+08:00"), row(2, placed_at="9999-12-31T23:59:59-05:00"),
            row(3, placed_at="9999-12-31 10:00"), row(4, placed_at="2029-11-24 09:00"), row(5)]  # fmt: skip
    path = folder / "far_dates.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    return path, Expect(2, 4)


def long_remarks(folder: Path) -> tuple[Path, Expect]:
    """A 20,000-character remark is kept verbatim; a 70,000-byte one is cut, noted and copied."""
    rows = [row(0, remarks="请" * 20_000), row(1, remarks="=HYPERLINK(\"x\")" + "a" * 70_000), row(2)]
    path = folder / "long_remarks.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    return path, Expect(3, 0, noted=1)


def bom_nul_crlf(folder: Path) -> tuple[Path, Expect]:
    """Two exports joined (a BOM and the header again in the middle), a NUL byte, CRLF in quoted cells."""
    first = _csv([row(0), row(1, remarks="第一行\r\n第二行")])
    second = _csv([row(2), row(3, order_no="H\x00003")])
    path = folder / "bom_nul_crlf.csv"
    path.write_bytes(first.encode("utf-8") + b"\xef\xbb\xbf" + second.encode("utf-8"))
    return path, Expect(3, 1)


def wide_row(folder: Path) -> tuple[Path, Expect]:
    """A row of 100,000 columns among good ones."""
    rows = [row(0), row(1) + ["x"] * 100_000, row(2)]
    path = folder / "wide_row.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    return path, Expect(2, 1)


def million_empty(folder: Path) -> tuple[Path, Expect]:
    """A JSON list of 10^6 empty objects and one order: the order kept, each {} set aside."""
    path = folder / "million_empty.json"
    path.write_text("[" + json.dumps(obj(0)) + ",{}" * 1_000_000 + "]", encoding="utf-8")
    return path, Expect(1, 1_000_000)


MAKERS: dict[str, Callable[[Path], tuple[Path, Expect]]] = {
    f.__name__: f
    for f in (stray_quote, huge_field, deep_json, deep_json_array, deep_json_wrapped, huge_numbers, far_dates,
              long_remarks, bom_nul_crlf, wide_row, million_empty)
}
SMALL = ("deep_json", "deep_json_array", "deep_json_wrapped", "huge_numbers", "far_dates",
         "bom_nul_crlf")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for name in SMALL:
        MAKERS[name](target)
