"""Intake messages and quarantine files: problems as lines naming file / row / field, the
quarantine copies (user-only, 0600 in 0700 folders; formula-like CSV cells quoted), private writes.

Quarantine: a CSV source gives a CSV (UTF-8 with BOM, so Excel shows the Chinese) with the
original header and cells plus a `reason` column naming row and field; a JSON / JSON Lines
source gives JSON Lines, each object with a `_reason` field; a line that did not parse is kept
verbatim as `{"_raw": "<the line>", "_reason": "..."}`. Both can be fixed and ingested again:
the reason columns are ignored, a `_raw` text is parsed as the record, and the quote put before
a formula-like cell is taken off again (services/intake_files.py).
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops_console.domain.intake import REASON_KEYS, IntakeBatch, Problem, Unit
from ops_console.i18n import t

if TYPE_CHECKING:
    from ops_console.services.intake_files import IntakeFile


_NEUTRAL = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading single quote (CONTRACTS export rule)."""
    return "'" + cell if cell[:1] in _NEUTRAL and cell else cell


def _unneutralise(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _NEUTRAL and len(cell) > 1 else cell


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
        self._row_key: dict[str, str] = {}  # the same by catalog key, for problems without parameters

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

    def many(self, problems: list[Problem]) -> list[str]:
        """Each problem's text, in order: the usual bad record (no field, no parameters) in a tight
        loop of one template per catalog key, the others through __call__."""
        out: list[str] = []
        append, row_key = out.append, self._row_key
        for problem in problems:
            if problem.field is None and problem.position is not None and not problem.params:
                tpl = row_key.get(problem.key)
                if tpl is None:
                    tpl = row_key[problem.key] = self._row_template(self.message(problem))
                append(tpl.format(position=problem.position))
            else:
                append(self(problem))
        return out

    def __call__(self, problem: Problem) -> str:
        done = self._texts.get(id(problem))
        if done is not None:
            return done
        if problem.field is None and problem.position is not None and not problem.params:
            # The usual bad record ("no order field", "not an object"): one template per key.
            tpl = self._row_key.get(problem.key)
            if tpl is None:
                tpl = self._row_key[problem.key] = self._row_template(self.message(problem))
            text = self._texts[id(problem)] = tpl.format(position=problem.position)
            return text
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
    describer: Describer | None = None, reasons: dict[int, str] | None = None,
) -> Path | None:  # fmt: skip
    """Write the rejected orders of `batch` for a supervisor to fix; None when nothing was rejected.
    `reasons` (position → its problems' texts), when the caller has them already."""
    if not batch.rejected and not batch.noted:
        return None
    directory = Path(directory)
    make_private_dir(directory)
    if reasons is None:
        reasons = _reasons(batch, describer or Describer(batch.source, batch.unit, lang))
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


def _reasons(batch: IntakeBatch, d: Describer) -> dict[int, str]:
    reasons: dict[int, str] = {}  # position → its problems' texts (a record may have several)
    for rejected in (*batch.rejected, *batch.noted):
        problems = rejected.problems
        if len(problems) == 1 and problems[0].position is not None and problems[0].position not in reasons:
            reasons[problems[0].position] = d(problems[0])  # the usual record: one problem
            continue
        for problem in problems:
            if problem.position is not None:
                text = d(problem)
                before = reasons.get(problem.position)
                reasons[problem.position] = text if before is None else before + "; " + text
    return reasons


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
    wanted = {p for r in (*batch.rejected, *batch.noted) for p in r.positions}
    lines: list[str] = []
    append, reason_of = lines.append, reasons.get
    for record in file.records:  # in file order, as the reader made them
        position = record.position
        if position not in wanted:
            continue
        reason = reason_of(position, "")
        data = record.data
        if type(data) is dict and not data and record.error is None and record.error_key is None:
            append('{"_reason": ' + _json_str(reason) + "}")  # a file may hold a million {}
            continue
        if isinstance(record.data, dict) and record.error is None:
            obj = {k: v for k, v in record.data.items() if k not in REASON_KEYS}
            obj["_reason"] = reason
        elif record.error is None:
            obj = {"_raw": json.dumps(record.data, ensure_ascii=False), "_reason": reason}
        else:
            obj = {"_raw": record.raw or "", "_reason": reason}
        append(json.dumps(obj, ensure_ascii=False, default=str))  # default: Decimal from _json_int
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
