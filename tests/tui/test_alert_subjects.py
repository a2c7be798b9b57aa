"""Pane 4 names what an alert is about as a person reads it, not as the code keys it."""

from __future__ import annotations

import pytest

from ops_console.services.pane_data import AlertRow
from ops_console.tui.panes.alerts import shown_subject


def row(subject: str, order_no: str | None = None) -> AlertRow:
    return AlertRow("reminder", 1, "backlog_warn", "warning", "open", subject, None, order_no, None, 1, None)


@pytest.mark.parametrize(("subject", "order_no", "shown"), [
    ("queue", None, "队列"),
    ("checks", None, "检查"),
    ("day:2026-12-03", None, "12-03"),
    ("store:S01", None, "S01"),
    ("courier:C07:2026-11-24", None, "C07 11-24"),
    ("order:12", "MT1002", "MT1002"),  # the order number wins
    ("something:else:here", None, "something:else:here"),  # unknown: as it is, never lost
])
def test_subjects_in_words(subject: str, order_no: str | None, shown: str) -> None:
    assert shown_subject(row(subject, order_no)) == shown
