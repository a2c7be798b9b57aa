"""What the front ends may know about the database without importing SQLAlchemy themselves.

The import-linter contracts forbid sqlalchemy/sqlmodel in cli/ and tui/; this is their seam: how
to name the database in a message, and which errors mean "the database itself failed".
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

# Raised by the driver for an unreachable server, a locked or corrupt file: front ends catch this
# name to say which database failed and stop cleanly.
DatabaseError = DBAPIError


def database_label(url: str) -> str:
    """The database as people read it: a SQLite file's path, else the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def safe_url(url: str) -> str:
    """The URL without its password, for messages (the CLI's error lines)."""
    return make_url(url).render_as_string(hide_password=True)
