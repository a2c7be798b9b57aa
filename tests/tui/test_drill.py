"""The rush-hour drill in quick mode (bench/drill.py): a scripted dispatcher keeps up with the simulator at
300 orders an hour using only the keys of `?`. Counts, not timings: safe to assert on a busy machine."""

from __future__ import annotations

from pathlib import Path

from bench.drill import GOAL_ASSIGN_KEYS, GOAL_BACKLOG_MINUTES, GOAL_BOARD_KEYS, drill


async def test_the_dispatcher_keeps_the_backlog_under_ten_minutes_within_the_key_goals(tmp_path: Path) -> None:
    result = await drill(4, folder=tmp_path)
    assert result.created > 0 and result.unmatched > 0  # the drill met orders the rules cannot place
    assert len(result.backlog_ages) == 4
    assert result.max_backlog < GOAL_BACKLOG_MINUTES
    assert result.max_picked_wait == 0.0  # every order the store picked went to a courier in the same turn
    assert result.handled["assign"] > 0 and result.handled["board"] > 0
    assert result.stuck == 0  # every preselected suggestion / courier proposal confirmed with Enter
    assert result.per_order("assign") <= GOAL_ASSIGN_KEYS
    assert result.per_order("board") <= GOAL_BOARD_KEYS
