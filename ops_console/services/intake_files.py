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


_NEUTRAL = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading single quote (CONTRACTS export rule)."""
    return "'" + cell if cell[:1] in _NEUTRAL and cell else cell


def _unneutralise(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _NEUTRAL and len(cell) > 1 else cell


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


def _array_items(text: str) -> list[tuple[int, int]] | None:
    """Spans of the elements of a top-level JSON array, found without parsing; None if not one."""
    body = text.strip()
    offset = text.index(body[:1]) if body else 0
    if body[:1] != "[":
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


def _read_json(path: Path, text: str, encoding: str) -> IntakeFile:
    if json_depth(text) > MAX_JSON_DEPTH:
        # Somewhere too deep: read the elements of the list one by one, so only the deep ones
        # are set aside (json.loads of the whole would raise RecursionError and lose them all).
        spans = _array_items(text)
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


# --------------------------------------------------------------------------- messages


def describe(problem: Problem, source: str, unit: Unit, lang: str | None = None) -> str:
    """A problem as one line naming file, row / line / index and field."""
    return Describer(source, unit, lang)(problem)


def _template(text: str, **slots: str) -> str:
    """A rendered catalog text with marker characters turned back into format fields."""
    text = text.replace("{", "{{").replace("}", "}}")
    for name, marker in slots.items():
        text = text.replace(marker, "{" + name + "}")
    return text


class Describer:
    """`describe` for the many problems of one file: each catalog text is rendered once.

    A file of a million bad records has a million problems; rendering three catalog messages
    for each is most of the time such a file takes. The shapes ("<where>: <message>") are
    rendered once with markers and filled with str.format, the messages cached by key and
    parameters, and each problem's text kept for the quarantine reasons.
    """

    def __init__(self, source: str, unit: Unit, lang: str | None = None) -> None:
        self.source, self.unit, self.lang = source, unit, lang
        self._file = t("intake.where.file", lang, file=source)
        self._where = _template(t(f"intake.where.{unit.value}", lang, file=source, position="\x00"),
                                position="\x00")  # fmt: skip
        self._row = _template(t("intake.problem.row", lang, where="\x01", message="\x02"),
                              where="\x01", message="\x02")  # fmt: skip
        self._field = _template(t("intake.problem.field", lang, where="\x01", column="\x03", message="\x02"),
                                where="\x01", column="\x03", message="\x02")  # fmt: skip
        self._row_raw = t("intake.problem.row", lang, where="\x01", message="\x02")
        self._where_raw = t(f"intake.where.{unit.value}", lang, file=source, position="\x00")
        self._messages: dict[Any, str] = {}
        self._texts: dict[int, str] = {}
        # Problems without a field: "<where>: <message>" as one template per message, {position} left.
        self._row_at: dict[str, str] = {}

    def _row_template(self, message: str) -> str:
        """"<where>: <message>" for one message as a format string with only {position} open."""

        def shape(part: str) -> str:
            return _template(part.replace("\x01", self._where_raw), position="\x00")

        escaped = message.replace("{", "{{").replace("}", "}}")
        return escaped.join(shape(part) for part in self._row_raw.split("\x02"))

    def message(self, problem: Problem) -> str:
        if not problem.params:
            key: Any = problem.key
        else:
            try:
                key = (problem.key, tuple(problem.params.items()))
                hash(key)
            except TypeError:
                key = None
        text = self._messages.get(key) if key is not None else None
        if text is None:
            text = t(problem.key, self.lang, **problem.params)
            if key is not None:
                self._messages[key] = text
        return text

    def __call__(self, problem: Problem) -> str:
        done = self._texts.get(id(problem))
        if done is not None:
            return done
        message = self.message(problem)
        if problem.field is None and problem.position is not None:
            tpl = self._row_at.get(message)
            if tpl is None:
                tpl = self._row_template(message)
                self._row_at[message] = tpl
            text = tpl.format(position=problem.position)
        elif problem.field is None:
            text = self._row.format(where=self._file, message=message)
        else:
            where = self._file if problem.position is None else self._where.format(position=problem.position)
            column = problem.column or problem.field
            name = problem.field.rsplit(".", 1)[-1]
            if column.rsplit(".", 1)[-1] != name:
                column = f"{column} ({name})"
            text = self._field.format(where=where, column=column, message=message)
        self._texts[id(problem)] = text  # problems live as long as the batch, so the id is theirs
        return text


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
    file: IntakeFile, batch: IntakeBatch, directory: Path | str, now: datetime, lang: str | None = None,
    describer: Describer | None = None,
) -> Path | None:  # fmt: skip
    """Write the rejected orders of `batch` for a supervisor to fix; None when nothing was rejected."""
    if not batch.rejected and not batch.noted:
        return None
    directory = Path(directory)
    make_private_dir(directory)
    d = describer or Describer(batch.source, batch.unit, lang)
    reasons = {pos: d(probs[0]) if len(probs) == 1 else "; ".join(map(d, probs))
               for pos, probs in batch.problems_by_position().items()}  # fmt: skip
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
    writer.writerow([neutralise(h) for h in (*file.header, reason_col)])
    for pos in batch.quarantine_positions:
        cells = list(cells_by_pos.get(pos, []))
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        writer.writerow([neutralise(c) for c in (*cells, reasons.get(pos, ""))])
    return out.getvalue()


def _quarantine_jsonl(file: IntakeFile, batch: IntakeBatch, reasons: dict[int, str]) -> str:
    records = {r.position: r for r in file.records}
    lines: list[str] = []
    for pos in batch.quarantine_positions:
        record = records[pos]
        reason = reasons.get(pos, "")
        if record.data == {} and record.error is None and record.error_key is None:
            lines.append('{"_reason": ' + _json_str(reason) + "}")  # a file may hold a million {}
            continue
        if isinstance(record.data, dict) and record.error is None:
            obj = {k: v for k, v in record.data.items() if k not in REASON_KEYS}
            obj["_reason"] = reason
        elif record.error is None:
            obj = {"_raw": json.dumps(record.data, ensure_ascii=False), "_reason": reason}
        else:
            obj = {"_raw": record.raw or "", "_reason": reason}
        lines.append(json.dumps(obj, ensure_ascii=False, default=str))  # default: Decimal from _json_int
    return "\n".join(lines) + "\n"


def make_private_dir(directory: Path) -> None:
    """Create `directory` (and parents) user-only (0700): quarantine copies hold phone numbers."""
    if not directory.is_dir():
        directory.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically, user-only (0600)."""
    make_private_dir(path.parent)
    _atomic_write(path, data)


_json_str = json.encoder.encode_basestring  # json.dumps of a str (ensure_ascii=False), without its set-up


def _atomic_write(path: Path, data: bytes) -> None:
    # mkstemp creates the file 0600, whatever the umask: quarantine copies stay private.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
