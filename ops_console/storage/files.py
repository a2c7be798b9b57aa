"""Files that may hold personal data or secrets: created for the user alone (0600, folders 0700).

One helper for every writer (database, sessions, quarantine copies, backups, reports), so no file
with phone numbers is ever readable by the other local users because of a default umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(path: Path | str) -> Path:
    """Create `path` (and missing parents) as 0700. A folder that exists already is left as it is:
    it may be the user's working directory or a shared mount chosen on purpose."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def tighten(path: Path | str) -> None:
    """Make an existing file of ours 0600 (group and others lose every bit); others' files are left."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        st = os.stat(path)
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)


def ensure_private_file(path: Path | str) -> Path:
    """The file exists (created empty if missing) and is 0600: e.g. a SQLite database before its
    first connection, so the WAL and SHM files SQLite derives from it are 0600 as well."""
    path = Path(path)
    if not path.exists():
        make_private_dir(path.parent)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    tighten(path)  # a file made before this rule, or by another tool: no longer readable by all
    return path


def private_open(path: Path | str, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """`open()` for a file only the user may read: created 0600 in a 0700 folder made if missing.
    Modes as `open()`: "w", "wb", "a", "x", "wt"… (reading modes are passed through unchanged)."""
    path = Path(path)
    if not any(c in mode for c in "wax+"):
        return open(path, mode, **kwargs)  # the caller closes it
    make_private_dir(path.parent)
    flags = os.O_CREAT | (os.O_RDWR if "+" in mode else os.O_WRONLY)
    if "x" in mode:
        flags |= os.O_EXCL
    if "w" in mode:
        flags |= os.O_TRUNC
    if "a" in mode:
        flags |= os.O_APPEND
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode on O_CREAT: tighten it too
        return os.fdopen(fd, mode.replace("x", "w"), **kwargs)
    except BaseException:
        os.close(fd)
        raise


def private_write(path: Path | str, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write the whole file at once (a temporary file then a rename): a reader never sees half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, bytes):
            with private_open(tmp, "wb") as f:
                f.write(data)
        else:
            with private_open(tmp, "w", encoding=encoding) as f:
                f.write(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path
