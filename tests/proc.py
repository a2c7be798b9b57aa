"""Subprocesses in tests: the same signal dispositions however the suite was launched.

A shell starts background jobs (`nohup make test &`) with SIGINT ignored, and an ignored signal
stays ignored across exec: a child started from such a suite would not react to Ctrl+C unless it
installs its own handler. Every test that starts a process passes `preexec_fn=default_signals`.
"""

from __future__ import annotations

import signal


def default_signals() -> None:
    """In the child, before exec: SIGINT and SIGTERM back to their defaults."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def ignore_sigint() -> None:
    """In the child, before exec: as a background job of a shell starts it (SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
