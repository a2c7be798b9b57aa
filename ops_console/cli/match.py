"""`ops-console match`: the matcher as a dry-run tester, on the database's keywords or a stores CSV."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from ops_console.cli.common import err_console, fail, guarded, state
from ops_console.i18n import t


def read_addresses(path: Path) -> Iterator[tuple[Any, str]]:
    """``(id, address)`` from plain lines (id = line number) or JSON Lines with ``id`` and ``address``.

    Each line is read on its own: a line that is a JSON object with an ``address`` is a record,
    anything else is an address. Blank plain lines are skipped (their numbers are kept).
    """
    with path.open(encoding="utf-8-sig", newline=None) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            stripped = line.strip()
            if stripped.startswith("{"):
                try:
                    obj = json.loads(stripped)
                except json.JSONDecodeError:
                    obj = None
                if isinstance(obj, dict) and "address" in obj:
                    address = obj.get("address")
                    yield obj.get("id", number), address if isinstance(address, str) else ""
                    continue
            if stripped:
                yield number, line


def result_record(row_id: Any, result: Any) -> dict[str, Any]:
    from ops_console.services.matching import describe_match_reason, reason_label, suggestions_json

    keywords = list(dict.fromkeys(h.keyword for h in result.keywords))
    reason = result.reason_text()
    # `why`: the reason in the words the console uses (one vocabulary, the UI language).
    suggestions = [{**s, "why": reason_label(s["reason"])} for s in suggestions_json(result.suggestions)]
    return {
        "id": row_id,
        "store_id": result.store_id,
        "auto": result.auto,
        "suggestion": result.suggestion,
        "reason": reason,
        "why": describe_match_reason(reason),
        "keywords": keywords,
        "suggestions": suggestions,
    }


def explain_text(row_id: Any, m: Any, address: str) -> str:
    """Every candidate store of an address with the evidence and the weight behind its score."""
    from ops_console.services.matching import describe_match_reason, describe_suggestion, reason_label

    result, candidates = m.explain(address)
    if result.auto:
        keywords = ", ".join(dict.fromkeys(h.keyword for h in result.keywords))
        return t("cli.match.explain_auto", id=row_id, store=result.store_id, keywords=keywords)
    lines = [t("cli.match.explain_head", id=row_id, reason=describe_match_reason(result.reason_text()),
               suggestion=result.suggestion or "—")]
    for c in sorted(candidates, key=lambda c: (not c.kept, -c.evidence.score)):
        e = c.evidence
        lines.append(t(
            "cli.match.explain_row",
            mark="✓" if c.kept else "·",
            store=e.store_id,
            score=f"{e.score:.2f}",
            base=f"{e.base:.2f}",
            weight=f"{e.weight.value:.2f}" + (f" ({t(f'match.cut.{e.weight.code}')})" if e.weight.code else ""),
            reason=reason_label(e.reason.value),
            why=describe_suggestion({"why": dict(e.pairs()[:-2] if e.weight.value != 1.0 else e.pairs()), "detail": e.detail}),
        ))
    if not candidates:
        lines.append(t("cli.match.explain_none"))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("match", help=t("cli.match.help"))
    @guarded
    def match_cmd(
        addresses: Annotated[list[str] | None, typer.Argument(help=t("cli.match.addresses"), show_default=False)] = None,
        input_file: Annotated[Path | None, typer.Option("--input", "-i", help=t("cli.match.input"))] = None,
        stores: Annotated[Path | None, typer.Option("--stores", help=t("cli.match.stores"))] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help=t("cli.match.output"))] = None,
        explain: Annotated[bool, typer.Option("--explain", help=t("cli.match.explain"))] = False,
    ) -> None:
        from ops_console.domain.matching import AddressStats
        from ops_console.services import matching

        rows: list[tuple[Any, str]] = [(i, a) for i, a in enumerate(addresses or [], 1)]
        if input_file is not None:
            rows.extend(read_addresses(input_file))
        if not rows:
            fail(t("cli.match.no_input"), 2)
        if stores is not None:
            # No database: the addresses given stand for the ones it would have seen (place names
            # and how common a word is weigh the suggestions' evidence).
            stats = AddressStats()
            stats.observe_many(a for _, a in rows)
            m = matching.matcher_from_stores_csv(stores).with_stats(stats)
        else:
            m = matching.matcher(state.ctx())
        if explain:
            out_text: TextIO = output.open("w", encoding="utf-8", newline="\n") if output else sys.stdout
            try:
                for row_id, address in rows:
                    out_text.write(explain_text(row_id, m, address) + "\n")
            finally:
                if output:
                    out_text.close()
            return
        counts = {"rows": 0, "auto": 0, "manual": 0, "suggested": 0}
        out: TextIO = output.open("w", encoding="utf-8", newline="\n") if output else sys.stdout
        try:
            for row_id, address in rows:
                result = m.match(address)
                counts["rows"] += 1
                counts["auto" if result.auto else "manual"] += 1
                counts["suggested"] += int(bool(not result.auto and result.suggestion))
                out.write(json.dumps(result_record(row_id, result), ensure_ascii=False) + "\n")
        finally:
            if output:
                out.close()
            else:
                out.flush()
        err_console.print(t("cli.match.summary", **counts))
