"""What the console shows of the database it works on (a seam so that front ends need no SQLAlchemy)."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def database_label(url: str) -> str:
    """The file of a SQLite database, or the URL of a server without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)
