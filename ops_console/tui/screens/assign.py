"""Assign orders to a store: the top suggestion preselected, type to filter, Enter confirms.

So a suggested assignment is `a`, Enter. The method is `suggested` when the chosen store is that
order's top suggestion, else `manual`. After a manual assignment the matching service proposes a
keyword taken from the address for that store (the assignment issue's learning loop). Learning takes
a deliberate key, never the Enter that confirmed the assignment: `y` accepts the keyword as shown,
`e` edits it (then Enter accepts), `n` / Esc declines; when nothing is proposed the step says why
(`KeywordProposal.why()`). A keyword that collides with another store's is refused by the service
with the reason, shown here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.types import Action, AssignMethod
from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.matching import (
    add_keyword,
    describe_match_reason,
    propose_keyword_for,
    reason_label,
)
from ops_console.services.order_view import OrderBrief, StoreChoice, store_choices
from ops_console.tui.screens.base import (
    ActionDialog,
    InputProblem,
    OrderOutcome,
    error_text,
)


def top_store(brief: OrderBrief) -> str | None:
    return str(brief.suggestions[0].get("store_id")) if brief.suggestions else None


@dataclass(frozen=True)
class KeywordProposal:
    keyword: str
    store_id: str
    store_name: str
    order_no: str
    order_id: int
    taken_by: str | None = None  # another store has this keyword already: adding it will be refused
    why: str = ""  # with an empty keyword: why nothing is proposed (the step only explains)


class KeywordDone(Message):
    def __init__(self, ok: bool, message: str) -> None:
        super().__init__()
        self.ok = ok
        self.message = message


class AssignScreen(ActionDialog):
    """`AssignScreen(ctx, actor, order_ids)` dismisses with an ActionResult (None on Esc before acting)."""

    action = Action.ASSIGN
    title_key = "screens.assign.title"
    hint_key = "screens.hint.assign"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(8)", show=False),
        Binding("pageup", "move(-8)", show=False),
        # The learning step (inactive elsewhere, see check_action): deliberate keys, not Enter.
        Binding("y", "learn_accept", show=False),
        Binding("e", "learn_edit", show=False),
        Binding("n", "close", show=False),
        Binding("enter", "learn_next", show=False),
    ]

    def __init__(self, ctx: AppContext, actor: Actor, order_ids: list[int]) -> None:
        super().__init__(ctx, actor, order_ids)
        self.stores: list[StoreChoice] = []
        self.tops: Counter[str] = Counter()  # store -> for how many orders it is the top suggestion
        self.first_suggestions: dict[str, dict[str, Any]] = {}
        self.methods: dict[int, str] = {}
        self.proposals: list[KeywordProposal] = []
        self.notes: list[str] = []
        self.learning: KeywordProposal | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="choose"):
            yield Static("", id="orders", classes="orders")
            yield Input(placeholder=t("screens.assign.filter"), id="filter")
            option_list = OptionList(id="stores")
            option_list.can_focus = False
            yield option_list
        with Vertical(id="learn"):
            yield Static("", id="learn-question")
            yield Input(id="keyword")

    def on_mount(self) -> None:
        self.query_one("#learn").display = False
        self.query_one("#filter", Input).focus()
        super().on_mount()

    # ---- choosing
    def load_extra(self, briefs: list[OrderBrief]) -> list[StoreChoice]:
        return store_choices(self.ctx)

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.stores = extra or []
        self.tops = Counter(s for s in (top_store(b) for b in briefs) if s)
        self.first_suggestions = {
            str(sug.get("store_id")): sug for sug in (briefs[0].suggestions if briefs else ())
        }
        self.query_one("#orders", Static).update(self.heading(briefs))
        self.fill()

    def refresh_orders(self, briefs: list[OrderBrief]) -> None:
        self.query_one("#orders", Static).update(self.heading(briefs))

    def heading(self, briefs: list[OrderBrief]) -> Text:
        text = self.orders_heading(briefs)
        if len(briefs) == 1 and briefs[0].match_reason:
            reason = describe_match_reason(briefs[0].match_reason, {st.id: st.name for st in self.stores})
            text.append("\n" + t("screens.assign.match_reason", reason=reason), style="dim")
        return text

    def preferred(self) -> str | None:
        """The store to preselect: the (most common) top suggestion."""
        if not self.tops:
            return None
        return self.tops.most_common(1)[0][0]

    def ordered_stores(self, needle: str) -> list[tuple[StoreChoice, str | None]]:
        """Stores matching the filter, suggestions first; with the keyword that matched, if any."""
        needle = needle.strip().casefold()
        shown: list[tuple[StoreChoice, str | None]] = []
        for st in self.stores:
            hit: str | None = None
            if needle:
                if needle in st.id.casefold() or needle in st.name.casefold():
                    hit = None
                else:
                    hit = next((kw for kw in st.keywords if needle in kw.casefold()), None)
                    if hit is None:
                        continue
            shown.append((st, hit))
        order = list(self.first_suggestions) + [s for s, _ in self.tops.most_common() if s not in self.first_suggestions]
        rank = {sid: i for i, sid in enumerate(order)}
        shown.sort(key=lambda pair: (rank.get(pair[0].id, len(rank)), pair[0].id))
        return shown

    def prompt(self, st: StoreChoice, hit: str | None) -> Text:
        text = Text()
        sug = self.first_suggestions.get(st.id)
        is_top = st.id in self.tops
        text.append("★ " if is_top else ("☆ " if sug else "  "), style="bold yellow")
        text.append(f"{st.id} ", style="bold")
        text.append(st.name)
        if sug is not None:
            score = sug.get("score")
            score_text = f"{float(score):.2f}" if isinstance(score, int | float) else "?"
            text.append(f"  {score_text} {reason_label(str(sug.get('reason') or ''))}", style="cyan")
        if len(self.job.briefs) > 1 and is_top:
            text.append("  " + t("screens.assign.top_for", count=self.tops[st.id], total=len(self.job.briefs)),
                        style="cyan")
        keywords = [hit] if hit else list(st.keywords[:3])
        if keywords:
            more = " …" if not hit and len(st.keywords) > 3 else ""
            text.append("  " + ", ".join(keywords) + more, style="dim")
        return text

    def fill(self) -> None:
        option_list = self.query_one("#stores", OptionList)
        needle = self.query_one("#filter", Input).value
        shown = self.ordered_stores(needle)
        option_list.clear_options()
        option_list.add_options([Option(self.prompt(st, hit), id=st.id) for st, hit in shown])
        if not shown:
            return
        ids = [st.id for st, _ in shown]
        preferred = self.preferred()
        option_list.highlighted = ids.index(preferred) if (not needle.strip() and preferred in ids) else 0

    def chosen(self) -> str | None:
        option_list = self.query_one("#stores", OptionList)
        if option_list.highlighted is None or option_list.option_count == 0:
            return None
        return option_list.get_option_at_index(option_list.highlighted).id

    def action_move(self, step: int) -> None:
        if self.learning is not None:
            return
        option_list = self.query_one("#stores", OptionList)
        if option_list.option_count == 0:
            return
        current = option_list.highlighted or 0
        option_list.highlighted = max(0, min(option_list.option_count - 1, current + step))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "filter":
            self.confirm()
        elif event.input.id == "keyword":
            self.accept_keyword()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.confirm()

    def check_inputs(self) -> None:
        if self.chosen() is None:
            raise InputProblem(t("screens.assign.choose"), "filter")

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        store_id = self.chosen()
        method = AssignMethod.SUGGESTED if store_id == top_store(brief) else AssignMethod.MANUAL
        self.methods[brief.id] = method.value
        return {"store_id": store_id, "method": method.value}

    # ---- learning a keyword after a manual assignment
    def follow_up(self, outcomes: list[OrderOutcome]) -> list[KeywordProposal]:
        propose = propose_keyword_for
        store_id = self.chosen_store_id
        if not store_id:
            return []
        names = {st.id: st.name for st in self.stores}
        out: list[KeywordProposal] = []
        seen: set[str] = set()
        briefs = {b.id: b for b in self.job.briefs}
        for o in outcomes:
            brief = briefs.get(o.order_id or 0)
            method = self.methods.get(brief.id) if brief is not None else None
            if brief is None or method not in (AssignMethod.MANUAL, AssignMethod.SUGGESTED):
                continue
            proposal = propose(self.ctx, brief.id, store_id)
            keyword = getattr(proposal, "keyword", None)
            offers: list[tuple[str | None, str | None]] = []
            if method == AssignMethod.MANUAL and not getattr(proposal, "exists", False):
                if keyword:
                    offers.append((keyword, getattr(proposal, "taken_by", None)))
                elif proposal.why() and brief.order_no not in seen:
                    seen.add(brief.order_no)  # one explanation per order
                    out.append(KeywordProposal("", store_id, names.get(store_id, ""), brief.order_no, brief.id,
                                               why=proposal.why()))
            # The address's Latin / pinyin phrase as a learned alias, also after a suggested
            # assignment (a pinyin address is only ever suggested).
            offers.append((getattr(proposal, "alias", None), None))
            for text, taken_by in offers:
                if text and text not in seen:
                    seen.add(text)
                    out.append(KeywordProposal(str(text), store_id, names.get(store_id, ""), brief.order_no,
                                               brief.id, taken_by))
        return out

    def confirm(self) -> None:
        self.chosen_store_id = self.chosen()
        super().confirm()

    def after_success(self, outcomes: list[OrderOutcome], extra: Any) -> bool:
        self.proposals = list(extra or [])
        return not self.next_proposal()

    def next_proposal(self) -> bool:
        """Show the next keyword proposal; False when there is none left."""
        if not self.proposals:
            self.learning = None
            return False
        self.learning = self.proposals.pop(0)
        p = self.learning
        self.query_one("#choose").display = False
        self.query_one("#learn").display = True
        store = f"{p.store_id} {p.store_name}".strip()
        question = Text.assemble(
            (t("screens.assign.done", order=p.order_no, store=store), "green"), "\n\n",
            t("assign.nothing_to_learn", why=p.why) if not p.keyword else t("screens.assign.learn_question",
                                                                           store=store),
        )
        if p.taken_by:
            question.append("\n" + t("screens.assign.taken_by", store=p.taken_by), style="yellow")
        self.query_one("#learn-question", Static).update(question)
        keyword = self.query_one("#keyword", Input)
        keyword.value = p.keyword
        keyword.display = bool(p.keyword)
        self.set_focus(None)  # the Enter that confirmed the assignment must not also learn
        self.query_one("#hint", Static).update(t("assign.hint.learn" if p.keyword else "assign.hint.why"))
        self.show_message("", error=False)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("learn_accept", "learn_edit", "learn_next"):
            return self.learning is not None and not self.query_one("#keyword", Input).has_focus
        return True

    def action_learn_accept(self) -> None:
        if self.learning is not None and self.learning.keyword:
            self.accept_keyword()

    def action_learn_edit(self) -> None:
        if self.learning is not None and self.learning.keyword:
            self.query_one("#keyword", Input).focus()

    def action_learn_next(self) -> None:
        """Enter on the learning step: moves past an explanation; a proposal needs `y` (or `e`)."""
        if self.learning is None:
            return
        if self.learning.keyword:
            self.show_message(t("assign.learn_needs_key"), error=False)
            return
        if not self.next_proposal():
            self.dismiss(self.result())

    def accept_keyword(self) -> None:
        if self.learning is None or self.job.busy:
            return
        keyword = self.query_one("#keyword", Input).value.strip()
        if not keyword:
            self.show_message(t("screens.assign.keyword_empty"))
            return
        self.job.busy = True
        proposal = self.learning
        self.run_worker(lambda: self._add_keyword(proposal, keyword), thread=True, exclusive=True, group="learn")

    def _add_keyword(self, p: KeywordProposal, keyword: str) -> None:
        try:
            add_keyword(self.ctx, keyword, p.store_id, self.actor, order_id=p.order_id)
        except Exception as exc:  # noqa: BLE001 - a worker reports; a refused keyword shows its reason
            self.post_message(KeywordDone(False, error_text(exc)))
            return
        self.post_message(KeywordDone(True, t("screens.assign.learned", keyword=keyword,
                                              store=f"{p.store_id} {p.store_name}".strip())))

    def on_keyword_done(self, message: KeywordDone) -> None:
        message.stop()
        self.job.busy = False
        if not message.ok:
            self.show_message(message.message)
            self.query_one("#keyword", Input).focus()
            return
        self.notes.append(message.message)
        if not self.next_proposal():
            self.dismiss(self.result())

    def action_close(self) -> None:
        if self.job.busy:
            return
        if self.learning is not None:  # Esc declines this keyword
            if not self.next_proposal():
                self.dismiss(self.result())
            return
        super().action_close()

    def result(self) -> Any:
        base = super().result()
        return type(base)(base.action, base.outcomes, tuple(self.notes))

    chosen_store_id: str | None = None
