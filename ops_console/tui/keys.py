"""The console's one key map (CONTRACTS.md "Console keys"): the bindings, the `?` help and the
ctrl+p palette are all built from this list, with descriptions from the message catalog.

Movement keys only move (vim / k9s / lazygit habits): j k Up Down g G Home End PgUp PgDn in a pane,
h l between panes. Actions use letters no movement habit claims; the ones that cannot be taken back
in one key either ask first or offer `u` / ctrl+z for UNDO_SECONDS in their toast."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

from ops_console.domain.types import Action

MOVE, GENERAL, UNASSIGNED, PICKING, BOARD, ALERTS, ORDERS = (
    "move", "general", "unassigned", "picking", "board", "alerts", "orders")
GROUPS = (MOVE, GENERAL, ORDERS, UNASSIGNED, PICKING, BOARD, ALERTS)
UNDO_SECONDS = 5.0  # how long the toast of a one-key action offers its undo


@dataclass(frozen=True)
class KeySpec:
    key: str  # Textual's key name
    shown: str  # what the help shows
    action: str  # the screen's action (action_<name>), with arguments if any
    desc: str  # catalog key of the description
    group: str
    lifecycle: tuple[Action, ...] = ()  # the order actions it may take (role checks, palette)
    palette: bool = True  # offered by name in ctrl+p
    pane: bool = False  # bound by the pane (movement), not by the screen
    bound: bool = True  # False: only described — the key is bound by another spec whose action routes by pane

    @property
    def name(self) -> str:
        return self.action.split("(")[0]


KEYS: tuple[KeySpec, ...] = (
    KeySpec("j,down", "j ↓", "cursor_down", "console.key.down", MOVE, palette=False, pane=True),
    KeySpec("k,up", "k ↑", "cursor_up", "console.key.up", MOVE, palette=False, pane=True),
    KeySpec("g,home", "g Home", "cursor_top", "console.key.top", MOVE, palette=False, pane=True),
    KeySpec("G,end", "G End", "cursor_bottom", "console.key.bottom", MOVE, palette=False, pane=True),
    KeySpec("pageup,pagedown", "PgUp PgDn", "page_down", "console.key.page", MOVE, palette=False, pane=True),
    KeySpec("h", "h", "next_pane(-1)", "console.key.prev_pane", MOVE, palette=False),
    KeySpec("l", "l", "next_pane(1)", "console.key.next_pane", MOVE, palette=False),
    KeySpec("1", "1", "focus_pane('unassigned')", "console.key.focus_unassigned", GENERAL),
    KeySpec("2", "2", "focus_pane('picking')", "console.key.focus_picking", GENERAL),
    KeySpec("3", "3", "focus_pane('board')", "console.key.focus_board", GENERAL),
    KeySpec("4", "4", "focus_pane('alerts')", "console.key.focus_alerts", GENERAL),
    KeySpec("tab", "Tab", "next_pane(1)", "console.key.next_pane", GENERAL, palette=False),
    KeySpec("enter", "Enter", "open_detail", "console.key.detail", ORDERS),
    KeySpec("c", "c", "claim", "console.key.claim", ORDERS, (Action.CLAIM, Action.RELEASE)),
    KeySpec("space", "Space", "tag", "console.key.tag", ORDERS),
    KeySpec("a", "a", "assign", "console.key.assign", UNASSIGNED, (Action.ASSIGN,)),
    KeySpec("y", "y", "approve", "console.key.approve", UNASSIGNED, (Action.APPROVE,)),
    KeySpec("x", "x", "reject_or_cancel", "console.key.reject_cancel", UNASSIGNED, (Action.REJECT, Action.CANCEL)),
    KeySpec("p", "p", "start_picking", "console.key.start_picking", PICKING, (Action.START_PICKING,)),
    KeySpec("d", "d", "finish_picking", "console.key.finish_picking", PICKING, (Action.FINISH_PICKING,)),
    KeySpec("s", "s", "shortage", "console.key.shortage", PICKING, (Action.REPORT_SHORTAGE,)),
    KeySpec("i", "i", "dispatch", "console.key.dispatch", BOARD, (Action.DISPATCH,)),
    KeySpec("e", "e", "escalate", "console.key.escalate", BOARD, (Action.ESCALATE,)),
    KeySpec("U", "U", "undispatch", "console.key.undispatch", BOARD, (Action.UNDISPATCH,)),
    KeySpec("t", "t", "hand_over", "console.key.hand_over", BOARD, (Action.HAND_OVER,)),
    KeySpec("o", "o", "call_outcome", "console.key.call_outcome", BOARD, (Action.CALL, Action.RELEASE_HOLD)),
    KeySpec("D", "D", "deliver", "console.key.deliver", BOARD, (Action.DELIVER,)),
    KeySpec("r", "r", "refuse", "console.key.refuse", BOARD, (Action.REFUSE,)),
    KeySpec("f", "f", "fail", "console.key.fail", BOARD, (Action.FAIL,)),
    KeySpec("b", "b", "redispatch", "console.key.redispatch", BOARD, (Action.REDISPATCH,)),
    KeySpec("w", "w", "couriers", "console.key.couriers", BOARD),
    KeySpec("A", "A", "alert('acknowledge')", "console.key.acknowledge", ALERTS),
    KeySpec("T", "T", "alert('own')", "console.key.own", ALERTS),
    KeySpec("m", "m", "alert('silence')", "console.key.silence", ALERTS),
    KeySpec("R", "R", "alert('resolve')", "console.key.resolve", ALERTS),
    KeySpec("y", "y", "alert('verify')", "console.key.verify", ALERTS, palette=False, bound=False),
    KeySpec("x", "x", "alert('cancel_hold')", "console.key.cancel_hold", ALERTS, palette=False, bound=False),
    KeySpec("s", "s", "service_step", "console.key.service_step", ALERTS, palette=False, bound=False),
    KeySpec("u,ctrl+z", "u ctrl+z", "undo", "console.key.undo", GENERAL, palette=False),
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


def bindings() -> list[BindingType]:
    """The main screen's bindings. ctrl+p is the App's own palette binding; Enter is the table's."""
    return [
        Binding(k.key, k.action, k.desc, show=False)
        for k in KEYS
        if k.key not in ("ctrl+p", "enter") and not k.pane and k.bound
    ]


def pane_bindings() -> list[BindingType]:
    """The movement keys every pane binds (PgUp/PgDn are the table's own)."""
    return [Binding(k.key, k.action, k.desc, show=False) for k in KEYS if k.pane and k.key != "pageup,pagedown"]


def by_name(name: str) -> KeySpec:
    for k in KEYS:
        if k.name == name or k.action == name:
            return k
    raise KeyError(name)
