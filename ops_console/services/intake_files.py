"""Reading intake files and writing quarantine files.

Encodings: UTF-8, UTF-8 with BOM, GB18030 (GBK is a subset) — decoded strictly as utf-8-sig
first, then gb18030; a UTF-16 file with its BOM (Excel's "Unicode text") is read too.
Formats: CSV (comma or tab separated), JSON (a list of orders, `{"orders": [...]}` or one
order) and JSON Lines. Each raw record keeps its position (CSV row number counting the header
as row 1, JSON Lines line number, JSON list index); a JSON Lines line that does not parse is
kept verbatim.

Quarantine: a CSV source gives a CSV (UTF-8 with BOM, so Excel shows the Chinese) with the
original header and cells plus a `reason` column naming row and field; a JSON / JSON Lines
source gives JSON Lines, each object with a `_reason` field; a line that did not parse is kept
verbatim as `{"_raw": "<the line>", "_reason": "..."}`. Both can be fixed and ingested again:
the reason columns are ignored, and a `_raw` text is parsed as the record.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.intake import (
    REASON_KEYS,
    IntakeBatch,
    Problem,
    SourceRecord,
    Unit,
    drafts_from_csv,
    drafts_from_json,
)
from ops_console.i18n import t

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
INTAKE_SUFFIXES = CSV_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES


class IntakeFileError(Exception):
    """A file that cannot be read at all; `key`/`params` are a message of the catalog."""

    def __init__(self, path: Path | str, key: str, **params: Any) -> None:
        super().__init__(f"{path}: {key} {params}")
        self.path = Path(path)
        self.key = key
        self.params = params

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
    path = Path(path)
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


def _read_csv(path: Path, text: str, encoding: str) -> IntakeFile:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(reader, start=1):
        if header is None:
            header = [h.strip() for h in cells]
            continue
        rows.append((number, cells))
    return IntakeFile(path, "csv", encoding, header=header or [], rows=rows, delimiter=delimiter)


def _jsonl_records(text: str) -> list[SourceRecord]:
    # Split on "\n" only: JSON strings may hold U+2028 and friends raw, never a newline. Each line
    # is parsed on its own, so a broken line can never borrow from its neighbours.
    return [_record(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _record(position: int, text: str) -> SourceRecord:
    try:
        data = json.loads(text)
    except ValueError as exc:
        return SourceRecord(position, None, raw=text, error=_json_error(exc))
    return _unwrap_raw(position, data, text)


def _unwrap_raw(position: int, data: Any, text: str | None) -> SourceRecord:
    """A quarantined unparseable line comes back as {"_raw": ..., "_reason": ...}: read its text."""
    if isinstance(data, dict) and isinstance(data.get("_raw"), str) and set(data) <= {"_raw"} | REASON_KEYS:
        inner = data["_raw"]
        try:
            return SourceRecord(position, json.loads(inner), raw=inner)
        except ValueError as exc:
            return SourceRecord(position, None, raw=inner, error=_json_error(exc))
    return SourceRecord(position, data, raw=text)


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})" if exc.lineno == 1 else f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return str(exc)


def _read_json(path: Path, text: str, encoding: str) -> IntakeFile:
    try:
        data = json.loads(text)
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data" and text.lstrip()[:1] == "{":
            # One object, then more: JSON Lines in a file named .json.
            return IntakeFile(path, "jsonl", encoding, records=_jsonl_records(text))
        # Not JSON at all: the whole file is one record set aside verbatim.
        record = SourceRecord(0, None, raw=text, error=_json_error(exc))
        return IntakeFile(path, "json", encoding, records=[record])
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        data = data["orders"]
    items = data if isinstance(data, list) else [data]
    records = [_unwrap_raw(i, item, None) for i, item in enumerate(items)]
    return IntakeFile(path, "json", encoding, records=records)


def to_batch(file: IntakeFile, tz: ZoneInfo) -> IntakeBatch:
    """The domain's drafts, rejected orders and warnings for a file."""
    if file.fmt == "csv":
        return drafts_from_csv(file.name, file.header, file.rows, tz)
    return drafts_from_json(file.name, file.records, tz, file.unit)


def load_batch(path: Path | str, tz: ZoneInfo) -> tuple[IntakeFile, IntakeBatch]:
    file = read_intake_file(path)
    return file, to_batch(file, tz)


# --------------------------------------------------------------------------- messages


def describe(problem: Problem, source: str, unit: Unit, lang: str | None = None) -> str:
    """A problem as one line naming file, row / line / index and field."""
    message = t(problem.key, lang, **problem.params)
    if problem.position is None:
        where = t("intake.where.file", lang, file=source)
    else:
        where = t(f"intake.where.{unit.value}", lang, file=source, position=problem.position)
    if problem.field is None:
        return t("intake.problem.row", lang, where=where, message=message)
    column = problem.column or problem.field
    name = problem.field.rsplit(".", 1)[-1]
    if column.rsplit(".", 1)[-1] != name:
        column = f"{column} ({name})"
    return t("intake.problem.field", lang, where=where, column=column, message=message)


def describe_all(batch: IntakeBatch, lang: str | None = None) -> list[str]:
    """Every problem of the rejected orders, in file order."""
    problems = sorted((p for r in batch.rejected for p in r.problems), key=lambda p: p.position or 0)
    return [describe(p, batch.source, batch.unit, lang) for p in problems]


# --------------------------------------------------------------------------- quarantine

_STAMPED = re.compile(r"\.\d{8}T\d{6}(?:-\d+)?\.rejected$")


def quarantine_path(directory: Path | str, source: Path | str, now: datetime, suffix: str) -> Path:
    """`<dir>/<stem>.<YYYYmmddTHHMMSS>.rejected<suffix>`, never an existing file."""
    directory = Path(directory)
    stem = _STAMPED.sub("", Path(source).stem)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    candidate = directory / f"{stem}.{stamp}.rejected{suffix}"
    n = 1
    while candidate.exists():
        candidate = directory / f"{stem}.{stamp}-{n}.rejected{suffix}"
        n += 1
    return candidate


def write_quarantine(
    file: IntakeFile, batch: IntakeBatch, directory: Path | str, now: datetime, lang: str | None = None
) -> Path | None:
    """Write the rejected orders of `batch` for a supervisor to fix; None when nothing was rejected."""
    if not batch.rejected:
        return None
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    reasons = {
        pos: "; ".join(describe(p, batch.source, batch.unit, lang) for p in probs)
        for pos, probs in batch.problems_by_position().items()
    }
    if file.fmt == "csv":
        suffix, data = ".csv", _quarantine_csv(file, batch, reasons).encode("utf-8-sig")
    else:
        suffix, data = ".jsonl", _quarantine_jsonl(file, batch, reasons).encode("utf-8")
    same = _same_content(directory, file.path, suffix, data)
    if same is not None:  # the same file set aside the same way before: one copy is enough
        return same
    path = quarantine_path(directory, file.path, now, suffix)
    _atomic_write(path, data)
    return path


def _same_content(directory: Path, source: Path, suffix: str, data: bytes) -> Path | None:
    stem = _STAMPED.sub("", source.stem)
    for candidate in directory.glob(f"{glob.escape(stem)}.*.rejected{suffix}"):
        if _STAMPED.sub("", candidate.stem) == stem and candidate.stat().st_size == len(data) \
                and candidate.read_bytes() == data:
            return candidate
    return None


def _quarantine_csv(file: IntakeFile, batch: IntakeBatch, reasons: dict[int, str]) -> str:
    taken = {h.strip().lower() for h in file.header}
    reason_col = next(name for name in ("reason", "_reason", "reason_") if name not in taken)
    width = len(file.header)
    cells_by_pos = dict(file.rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=file.delimiter, lineterminator="\r\n")
    writer.writerow([*file.header, reason_col])
    for pos in batch.rejected_positions:
        cells = list(cells_by_pos.get(pos, []))
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        writer.writerow([*cells, reasons.get(pos, "")])
    return out.getvalue()


def _quarantine_jsonl(file: IntakeFile, batch: IntakeBatch, reasons: dict[int, str]) -> str:
    records = {r.position: r for r in file.records}
    lines: list[str] = []
    for pos in batch.rejected_positions:
        record = records[pos]
        reason = reasons.get(pos, "")
        if isinstance(record.data, dict) and record.error is None:
            obj = {k: v for k, v in record.data.items() if k not in REASON_KEYS}
            obj["_reason"] = reason
        elif record.error is None:
            obj = {"_raw": json.dumps(record.data, ensure_ascii=False), "_reason": reason}
        else:
            obj = {"_raw": record.raw or "", "_reason": reason}
        lines.append(json.dumps(obj, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
