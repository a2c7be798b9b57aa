"""The console's one key map (CONTRACTS.md "Console keys"): the bindings, the `?` help and the
ctrl+p palette are all built from this list, with descriptions from the message catalog."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from ops_console.domain.types import Action

GENERAL, UNASSIGNED, PICKING, BOARD, ALERTS, ORDERS = "general", "unassigned", "picking", "board", "alerts", "orders"
GROUPS = (GENERAL, ORDERS, UNASSIGNED, PICKING, BOARD, ALERTS)


@dataclass(frozen=True)
class KeySpec:
    key: str  # Textual's key name
    shown: str  # what the help shows
    action: str  # the screen's action (action_<name>), with arguments if any
    desc: str  # catalog key of the description
    group: str
    lifecycle: tuple[Action, ...] = ()  # the order actions it may take (role checks, palette)
    palette: bool = True  # offered by name in ctrl+p

    @property
    def name(self) -> str:
        return self.action.split("(")[0]


KEYS: tuple[KeySpec, ...] = (
    KeySpec("1", "1", "focus_pane('unassigned')", "console.key.focus_unassigned", GENERAL),
    KeySpec("2", "2", "focus_pane('picking')", "console.key.focus_picking", GENERAL),
    KeySpec("3", "3", "focus_pane('board')", "console.key.focus_board", GENERAL),
    KeySpec("4", "4", "focus_pane('alerts')", "console.key.focus_alerts", GENERAL),
    KeySpec("tab", "Tab", "next_pane", "console.key.next_pane", GENERAL, palette=False),
    KeySpec("enter", "Enter", "open_detail", "console.key.detail", ORDERS),
    KeySpec("c", "c", "claim", "console.key.claim", ORDERS, (Action.CLAIM, Action.RELEASE)),
    KeySpec("space", "Space", "tag", "console.key.tag", ORDERS),
    KeySpec("a", "a", "assign", "console.key.assign", UNASSIGNED, (Action.ASSIGN,)),
    KeySpec("y", "y", "approve", "console.key.approve", UNASSIGNED, (Action.APPROVE,)),
    KeySpec("x", "x", "reject_or_cancel", "console.key.reject_cancel", UNASSIGNED, (Action.REJECT, Action.CANCEL)),
    KeySpec("p", "p", "start_picking", "console.key.start_picking", PICKING, (Action.START_PICKING,)),
    KeySpec("d", "d", "finish_picking", "console.key.finish_picking", PICKING, (Action.FINISH_PICKING,)),
    KeySpec("s", "s", "shortage", "console.key.shortage", PICKING, (Action.REPORT_SHORTAGE,)),
    KeySpec("g", "g", "dispatch", "console.key.dispatch", BOARD, (Action.DISPATCH,)),
    KeySpec("e", "e", "escalate", "console.key.escalate", BOARD, (Action.ESCALATE,)),
    KeySpec("u", "u", "undispatch", "console.key.undispatch", BOARD, (Action.UNDISPATCH,)),
    KeySpec("h", "h", "hand_over", "console.key.hand_over", BOARD, (Action.HAND_OVER,)),
    KeySpec("o", "o", "call_outcome", "console.key.call_outcome", BOARD, (Action.CALL, Action.RELEASE_HOLD)),
    KeySpec("l", "l", "deliver", "console.key.deliver", BOARD, (Action.DELIVER,)),
    KeySpec("r", "r", "refuse", "console.key.refuse", BOARD, (Action.REFUSE,)),
    KeySpec("f", "f", "fail", "console.key.fail", BOARD, (Action.FAIL,)),
    KeySpec("b", "b", "redispatch", "console.key.redispatch", BOARD, (Action.REDISPATCH,)),
    KeySpec("w", "w", "couriers", "console.key.couriers", BOARD),
    KeySpec("k", "k", "alert('acknowledge')", "console.key.acknowledge", ALERTS),
    KeySpec("t", "t", "alert('own')", "console.key.own", ALERTS),
    KeySpec("m", "m", "alert('silence')", "console.key.silence", ALERTS),
    KeySpec("R", "R", "alert('resolve')", "console.key.resolve", ALERTS),
    KeySpec("n", "n", "phone_order", "console.key.phone_order", GENERAL, (Action.RECEIVE,)),
    KeySpec("exclamation_mark", "!", "staff_report", "console.key.staff_report", GENERAL),
    KeySpec("L", "L", "switch_language", "console.key.language", GENERAL),
    KeySpec("slash", "/", "filter", "console.key.filter", GENERAL),
    KeySpec("colon", ":", "command_line", "console.key.command_line", GENERAL),
    KeySpec("less_than_sign", "<", "sort(-1)", "console.key.sort_prev", GENERAL),
    KeySpec("greater_than_sign", ">", "sort(1)", "console.key.sort_next", GENERAL),
    KeySpec("escape", "Esc", "clear", "console.key.clear", GENERAL, palette=False),
    KeySpec("z", "z", "pause", "console.key.pause", GENERAL),
    KeySpec("question_mark", "?", "help", "console.key.help", GENERAL),
    KeySpec("ctrl+p", "ctrl+p", "command_palette", "console.key.palette", GENERAL, palette=False),
    KeySpec("q", "q", "quit_console", "console.key.quit", GENERAL),
)

# Keys that act on a pane's rows, by pane: what the key bar offers for the focused pane.
PANE_GROUPS = {
    "unassigned": (ORDERS, UNASSIGNED),
    "picking": (ORDERS, PICKING),
    "board": (ORDERS, BOARD),
    "alerts": (ALERTS,),
}


def bindings() -> list[Binding]:
    """The main screen's bindings. ctrl+p is the App's own palette binding; Enter is the table's."""
    return [
        Binding(k.key, k.action, k.desc, show=False)
        for k in KEYS
        if k.key not in ("ctrl+p", "enter")
    ]


def by_name(name: str) -> KeySpec:
    for k in KEYS:
        if k.name == name or k.action == name:
            return k
    raise KeyError(name)
