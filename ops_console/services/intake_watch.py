"""`ingest --watch`: take the files of a folder as they arrive, each to `done/` or `rejected/`.

Nothing a file does ends the watch: a file that fails goes to `rejected/` with a
`<name>.reason.txt` beside it (user-only); a busy (locked) database leaves the file where it is
to be tried again after 1, 2, 4 … 32 rounds; only `should_stop` or a signal (the CLI's
handlers) ends it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ops_console.domain.intake import error_text
from ops_console.i18n import t
from ops_console.services.context import AppContext
from ops_console.services.intake import DONE_DIR, REJECTED_DIR, FileReport, ingest_file
from ops_console.services.intake_files import INTAKE_SUFFIXES, IntakeFileError, write_private


def _candidates(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.suffix.lower() in INTAKE_SUFFIXES and not p.name.startswith((".", "~"))
    )


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    return Path(shutil.move(str(path), str(target)))


def watch(
    ctx: AppContext,
    directory: Path | str,
    *,
    once: bool = False,
    poll_seconds: float = 2.0,
    should_stop: Callable[[], bool] | None = None,
    on_report: Callable[[FileReport, Path | None], None] | None = None,
    lang: str | None = None,
    match_address: bool = True,
) -> list[FileReport]:
    """Take in the files of `directory`: each to `done/` or `rejected/` beside them afterwards.

    A file is taken once its size and modification time stayed the same between two looks (it
    is no longer being written); with `once`, what is there is taken at once and the call returns.
    Nothing a file does ends the watch: a file that fails goes to `rejected/` with a
    `<name>.reason.txt` beside it; a busy (locked) database leaves the file where it is and it
    is tried again after 1, 2, 4 … 32 rounds (`on_report` gets it with `None` for the move).
    Only `should_stop` (or a signal, handled by the caller) ends it.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise IntakeFileError(directory, "intake.watch.not_a_folder")
    reports: list[FileReport] = []
    seen: dict[Path, tuple[int, int]] = {}
    backoff: dict[Path, tuple[int, int]] = {}  # path → (rounds to wait, next wait)
    stuck: set[Path] = set()  # could not be moved: not taken again and again
    while True:
        try:
            candidates = _candidates(directory)
        except OSError:  # the folder is gone or unreadable for a moment: look again next round
            candidates = []
        for path in candidates:
            if path in stuck:
                continue
            wait = backoff.get(path)
            if wait is not None and wait[0] > 0:
                backoff[path] = (wait[0] - 1, wait[1])
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            if not once and seen.get(path) != signature:
                seen[path] = signature  # look again next round: still being written?
                continue
            seen.pop(path, None)
            report = ingest_file(ctx, path, lang=lang, match_address=match_address)
            reports.append(report)
            if report.busy and not once:
                nxt = min((wait or (0, 1))[1] * 2, 32)
                backoff[path] = ((wait or (0, 1))[1], nxt)
                if on_report is not None:
                    on_report(report, None)
                continue
            backoff.pop(path, None)
            moved = _file_away(path, directory, report, lang)
            if moved is None:
                stuck.add(path)
            if on_report is not None:
                on_report(report, moved)
        if once or (should_stop is not None and should_stop()):
            return reports
        time.sleep(poll_seconds)


def _file_away(path: Path, directory: Path, report: FileReport, lang: str | None) -> Path | None:
    """Move a handled file to done/ or rejected/ (with its reason); None when it cannot be moved."""
    try:
        if report.ok:
            return _move(path, directory / DONE_DIR)
        moved = _move(path, directory / REJECTED_DIR)
        write_private(moved.with_name(moved.name + ".reason.txt"), reason_text(report, lang).encode("utf-8"))
        return moved
    except OSError as exc:
        report.warnings.append(t("intake.file.failed", lang, error=error_text(exc)))
        return None


def reason_text(report: FileReport, lang: str | None = None) -> str:
    """Why a file went to rejected/: the error, the problems, the conflicts, where the copy is."""
    lines = [t("intake.watch.rejected_reason", lang, file=Path(report.path).name)]
    if report.error:
        lines.append(report.error)
    lines += report.problems + report.conflicts
    if report.quarantine:
        lines.append(report.quarantine)
    return "\n".join(lines) + "\n"
