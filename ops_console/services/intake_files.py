"""Reading intake files (the quarantine files are written by services/intake_quarantine.py).

Encodings: UTF-8, UTF-8 with BOM, GB18030 (GBK is a subset) — decoded strictly as utf-8-sig
first, then gb18030; a UTF-16 file with its BOM (Excel's "Unicode text") is read too.
Formats: CSV (comma or tab separated), JSON (a list of orders, `{"orders": [...]}` or one
order) and JSON Lines. Each raw record keeps its position (CSV row number counting the header
as row 1, JSON Lines line number, JSON list index); a JSON Lines line that does not parse is
kept verbatim. The reader raises IntakeFileError (the intake's own error type) and nothing else;
a record it cannot read is set aside with its position, the others are read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.intake import (
    REASON_KEYS,
    Checks,
    IntakeBatch,
    IntakeError,
    Problem,
    SourceRecord,
    Unit,
    drafts_from_csv,
    drafts_from_json,
    error_text,
)
from ops_console.i18n import t
from ops_console.services.intake_quarantine import (  # noqa: F401 - re-exported: callers import them from here
    Describer,
    _unneutralise,
    describe,
    describe_all,
    make_private_dir,
    neutralise,
    quarantine_path,
    write_private,
    write_quarantine,
)

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
INTAKE_SUFFIXES = CSV_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
# 1 MiB a cell: far above any real cell (remarks are kept up to 64 KiB), and it bounds what a
# runaway quote can swallow before the record is refused (the csv default, 131,072, is too low).
CSV_FIELD_LIMIT = 1 << 20
MAX_JSON_DEPTH = 32  # an order nests 3 deep (list → order → lines → line); 32 is generous


class IntakeFileError(IntakeError):
    """A file that cannot be read at all; `key`/`params` are a message of the catalog."""

    def __init__(self, path: Path | str, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.path = Path(path)
        self.args = (f"{path}: {key} {params}",)

    def message(self, lang: str | None = None) -> str:
        return t("intake.problem.row", lang, where=str(self.path), message=t(self.key, lang, **self.params))


@dataclass
class IntakeFile:
    """One file as read: CSV header and rows, or JSON records."""

    path: Path
    fmt: str  # "csv" | "json" | "jsonl"
    encoding: str
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    records: list[SourceRecord] = field(default_factory=list)
    delimiter: str = ","
    row_problems: dict[int, Problem] = field(default_factory=dict)  # CSV rows not readable as written
    warnings: list[Problem] = field(default_factory=list)  # about the file as read

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def unit(self) -> Unit:
        return {"csv": Unit.ROW, "jsonl": Unit.LINE}.get(self.fmt, Unit.INDEX)


# --------------------------------------------------------------------------- reading


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: utf-8-sig strictly, then gb18030 strictly."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise utf8_error from None


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in JSON_SUFFIXES:
        return "json"
    # No telling suffix: a JSON value first is JSON (JSON Lines when more follows it), else CSV.
    return "json" if text.lstrip()[:1] in ("[", "{") else "csv"


def read_intake_file(path: Path | str) -> IntakeFile:
    """The file's records; raises IntakeFileError (the intake's own error type) and nothing else."""
    path = Path(path)
    try:
        return _read_intake_file(path)
    except IntakeFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader bug must name the file, not end the run
        raise IntakeFileError(path, "intake.file.failed", error=error_text(exc)) from None


def _read_intake_file(path: Path) -> IntakeFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IntakeFileError(path, "intake.file.not_found") from None
    except OSError as exc:
        raise IntakeFileError(path, "intake.file.unreadable", error=exc.strerror or str(exc)) from None
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise IntakeFileError(path, "intake.file.encoding", offset=exc.start) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise IntakeFileError(path, "intake.file.empty")
    fmt = detect_format(path, text)
    if fmt == "csv":
        return _read_csv(path, text, encoding)
    if fmt == "jsonl":
        return IntakeFile(path, "jsonl", encoding, records=_jsonl_records(text))
    return _read_json(path, text, encoding)


class _Lines:
    """The physical lines of a CSV text for csv.reader, rewindable so a bad record can be re-read."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text, newline="").readlines()
        self.pos = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _read_csv(path: Path, text: str, encoding: str) -> IntakeFile:
    """Record by record, each in its own guard.

    A record the csv module refuses (an unbalanced quote reaching the end of the file or a
    quote followed by text, a cell over CSV_FIELD_LIMIT), or a record spread over several
    physical lines whose width is wrong (a stray quote that swallowed the lines after it), is
    set aside naming its first line; reading resumes on the line after it, so the rows that
    follow are still read. The bad line's cells (split without quoting) still say which order
    it belongs to, so that order is set aside whole.
    """
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    norm_header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    problems: dict[int, Problem] = {}
    warnings: list[Problem] = []
    number = 0
    while True:
        start = lines.pos
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            if header is None:  # the header itself is malformed: take it split without quoting
                raw = lines.lines[start].rstrip("\r\n") if start < len(lines.lines) else ""
                lines.pos = start + 1
                header = [h.strip() for h in next(csv.reader([raw], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])]
                norm_header = [h.lstrip("\ufeff").strip().lower() for h in header]
                warnings.append(Problem("intake.csv.bad_record", number, None, None, {"line": start + 1, "error": str(exc)}))
                continue
            _bad_line(lines, start, number, delimiter, "intake.csv.stray_quote" if "quote" in str(exc)
                      or "end of data" in str(exc) else "intake.csv.bad_record", str(exc), rows, problems)  # fmt: skip
            continue
        number += 1
        if header is None:
            header = [h.strip() for h in cells]
            norm_header = [h.lstrip("\ufeff").strip().lower() for h in header]
            continue
        if lines.pos - start > 1 and len(cells) != len(header):
            _bad_line(lines, start, number, delimiter, "intake.csv.stray_quote", "", rows, problems)
            continue
        if len(cells) == len(header) and [c.lstrip("\ufeff").strip().lower() for c in cells] == norm_header:
            warnings.append(Problem("intake.csv.header_again", number))  # two exports joined
            continue
        rows.append((number, cells))
    header = header or []
    if header and {h.lower() for h in header} & REASON_KEYS:
        # Our own quarantine file coming back: undo the quote that kept formulas from running.
        rows = [(n, [_unneutralise(c) for c in cells]) for n, cells in rows]
    return IntakeFile(path, "csv", encoding, header=header, rows=rows, delimiter=delimiter,
                      row_problems=problems, warnings=warnings)  # fmt: skip


def _bad_line(
    lines: _Lines, start: int, number: int, delimiter: str, key: str, error: str,
    rows: list[tuple[int, list[str]]], problems: dict[int, Problem],
) -> None:  # fmt: skip
    """Set the record starting at physical line `start` aside and resume reading after that line."""
    raw = lines.lines[start].rstrip("\r\n") if start < len(lines.lines) else ""
    lines.pos = start + 1
    cells = next(csv.reader([raw], delimiter=delimiter, quoting=csv.QUOTE_NONE), [raw])
    rows.append((number, cells))
    problems[number] = Problem(key, number, None, None, {"line": start + 1, "error": error or "-"})


def _jsonl_records(text: str) -> list[SourceRecord]:
    # Split on "\n" only: JSON strings may hold U+2028 and friends raw, never a newline. Each line
    # is parsed on its own, so a broken line can never borrow from its neighbours.
    return [_record(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _record(position: int, text: str) -> SourceRecord:
    data, failed = _loads(position, text)
    if failed is not None:
        return failed
    return _unwrap_raw(position, data, text)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


_PAIR = re.compile(r"\[\]|\{\}")


def json_depth(text: str, limit: int | None = None) -> int:
    """How deep the arrays and objects of a JSON text nest, found on the raw text (no parsing).

    Strings are removed, then the innermost empty pairs, one level a pass (all in C); past
    `limit` passes the answer is "deeper than limit" (limit + 1) without counting further.
    """
    limit = MAX_JSON_DEPTH if limit is None else limit
    if text.count("[") + text.count("{") <= limit:
        return 0  # cannot be too deep: the usual case, decided without a scan
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = 0
    while brackets:
        brackets, found = _PAIR.subn("", brackets)
        if not found:
            # Unbalanced, so not valid JSON anyway; a long run of openers is refused unparsed.
            return limit + 1 if len(brackets) > 2 * limit else depth
        depth += 1
        if depth > limit:
            return depth
    return depth


def _json_int(text: str) -> int | Decimal:
    # A JSON integer thousands of digits long would stop json.loads (int max digits) and lose
    # the whole file; as a Decimal it reaches the value checks, which call it too large.
    return int(text) if len(text) <= 30 else Decimal(text)


def _loads(position: int, text: str) -> tuple[Any, SourceRecord | None]:
    """json.loads with the depth checked first; (data, None) or (None, the record set aside)."""
    if json_depth(text) > MAX_JSON_DEPTH:
        return None, SourceRecord(position, None, raw=text, error_key="intake.json.too_deep",
                                  error_params={"limit": MAX_JSON_DEPTH})  # fmt: skip
    try:
        return json.loads(text, parse_int=_json_int), None
    except (ValueError, RecursionError) as exc:
        return None, SourceRecord(position, None, raw=text, error=_json_error(exc))


def _unwrap_raw(position: int, data: Any, text: str | None) -> SourceRecord:
    """A quarantined unparseable line comes back as {"_raw": ..., "_reason": ...}: read its text."""
    if isinstance(data, dict) and isinstance(data.get("_raw"), str) and set(data) <= {"_raw"} | REASON_KEYS:
        inner = data["_raw"]
        parsed, failed = _loads(position, inner)
        return failed if failed is not None else SourceRecord(position, parsed, raw=inner)
    return SourceRecord(position, data, raw=text)


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})" if exc.lineno == 1 else f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return error_text(exc)


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')
_BLANKS = re.compile(r"\s*")


def _array_items(text: str, start: int = 0) -> list[tuple[int, int]] | None:
    """Spans of the elements of the JSON array at `start` (after blanks), found without parsing;
    None if there is no array there."""
    blanks = _BLANKS.match(text, start)
    offset = blanks.end() if blanks else start
    if text[offset:offset + 1] != "[":
        return None
    spans: list[tuple[int, int]] = []
    depth, begin = 0, offset + 1
    for m in _TOKEN.finditer(text, offset):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
        elif tok in ("]", "}"):
            depth -= 1
            if depth == 0:
                spans.append((begin, m.start()))
                break
        elif tok == "," and depth == 1:
            spans.append((begin, m.start()))
            begin = m.end()
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    return spans


_MEMBER = re.compile(r"\s*:")


def _orders_member(text: str) -> int | None:
    """Where the value of the top-level `"orders"` key of a JSON object starts, found without
    parsing (the `{"orders": [...]}` wrapper); None if the text is no object or has no such key."""
    body = text.lstrip()
    if body[:1] != "{":
        return None
    depth = 0
    for m in _TOKEN.finditer(text, len(text) - len(body)):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
        elif tok in ("]", "}"):
            depth -= 1
            if depth == 0:
                return None
        elif depth == 1 and tok[:1] == '"':
            colon = _MEMBER.match(text, m.end())
            if colon is not None and _is_orders_key(tok):
                return colon.end()
    return None


def _is_orders_key(token: str) -> bool:
    try:
        return bool(json.loads(token) == "orders")
    except ValueError:
        return False


def _read_json(path: Path, text: str, encoding: str) -> IntakeFile:
    if json_depth(text) > MAX_JSON_DEPTH:
        # Somewhere too deep: read the elements of the list one by one, so only the deep ones
        # are set aside (json.loads of the whole would raise RecursionError and lose them all).
        spans = _array_items(text)
        if spans is None and (member := _orders_member(text)) is not None:
            spans = _array_items(text, member)  # {"orders": [...]}: the same, one element at a time
        if spans is None:
            record = SourceRecord(0, None, raw=text, error_key="intake.json.too_deep",
                                  error_params={"limit": MAX_JSON_DEPTH})  # fmt: skip
            return IntakeFile(path, "json", encoding, records=[record])
        return IntakeFile(path, "json", encoding, records=[_record(i, text[a:b].strip()) for i, (a, b) in enumerate(spans)])
    try:
        data = json.loads(text, parse_int=_json_int)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data" and text.lstrip()[:1] == "{":
            # One object, then more: JSON Lines in a file named .json.
            return IntakeFile(path, "jsonl", encoding, records=_jsonl_records(text))
        # Not JSON at all: the whole file is one record set aside verbatim.
        record = SourceRecord(0, None, raw=text, error=_json_error(exc))
        return IntakeFile(path, "json", encoding, records=[record])
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        data = data["orders"]
    items = data if isinstance(data, list) else [data]
    records = [
        _unwrap_raw(i, item, None) if type(item) is dict and "_raw" in item else SourceRecord(i, item)
        for i, item in enumerate(items)
    ]
    return IntakeFile(path, "json", encoding, records=records)


def to_batch(file: IntakeFile, tz: ZoneInfo, checks: Checks | None = None) -> IntakeBatch:
    """The domain's drafts, rejected orders and warnings for a file."""
    if file.fmt == "csv":
        batch = drafts_from_csv(file.name, file.header, file.rows, tz, checks=checks, row_problems=file.row_problems)
    else:
        batch = drafts_from_json(file.name, file.records, tz, file.unit, checks=checks)
    batch.warnings[:0] = file.warnings
    return batch


def load_batch(path: Path | str, tz: ZoneInfo, checks: Checks | None = None) -> tuple[IntakeFile, IntakeBatch]:
    file = read_intake_file(path)
    try:
        return file, to_batch(file, tz, checks)
    except Exception as exc:  # noqa: BLE001 - the domain guards each record; this is the last net
        raise IntakeFileError(path, "intake.file.failed", error=error_text(exc)) from None
