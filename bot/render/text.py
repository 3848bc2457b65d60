"""Answers -> readable console text."""

from __future__ import annotations

import textwrap

from storage.answers import Block, Dispute, FactAnswer, FactView, FlagResult, SourceAnswer, SynthesisAnswer

DISPUTED = "⚠ Disputed"
WIDTH = 100


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def citation_line(fact: FactView) -> str:
    """"Title — authors/publisher, date — https://domain"."""
    parts = [fact.source.title, fact.source.byline]
    if fact.source.date:
        parts.append(fact.source.date)
    parts.append(fact.source.url)
    return " — ".join(parts)


def fact_block(fact: FactView, number: int | None = None) -> str:
    head = f"{number}. " if number is not None else ""
    lines = [f"{head}[{fact.type}] {fact.id}" + (f"  {DISPUTED}" if fact.disputed else "")]
    lines.append(_wrap(fact.text))
    lines.append(_wrap(citation_line(fact)))
    for reason in fact.dispute_reasons:
        lines.append(_wrap(f"{DISPUTED}: {reason}"))
    return "\n".join(lines)


def fact_answer(answer: FactAnswer) -> str:
    if not answer.results:
        text = f"Nothing found for {answer.query!r}."
        if answer.suggestions:
            text += " Did you mean: " + ", ".join(answer.suggestions) + "?"
        return text
    first = answer.offset + 1
    header = f"{first}-{answer.offset + len(answer.results)} of {answer.total} for {answer.query!r}"
    if answer.corrections:
        header += " (searched " + ", ".join(f"{k} → {v}" for k, v in answer.corrections.items()) + ")"
    blocks = [fact_block(f, first + i) for i, f in enumerate(answer.results)]
    return "\n\n".join([header, *blocks])


def source_answer(answer: SourceAnswer) -> str:
    if not answer.results:
        text = f"No source matches {answer.query!r}." if answer.query else "No sources loaded."
        if answer.suggestions:
            text += " Did you mean: " + ", ".join(answer.suggestions) + "?"
        return text
    out = [f"{answer.offset + 1}-{answer.offset + len(answer.results)} of {answer.total} sources"]
    for view in answer.results:
        s = view.source
        counts = ", ".join(f"{n} {t}" for t, n in view.counts_by_type.items())
        out.append(
            "\n".join(
                [
                    f"{s.title}",
                    _wrap(" — ".join(x for x in (s.byline, s.date or "", s.url) if x)),
                    _wrap(f"{s.fact_count} fact{'' if s.fact_count == 1 else 's'}: {counts}"),
                    *([_wrap(f"{DISPUTED}: {', '.join(view.disputed)}")] if view.disputed else []),
                    *(_wrap(f"• [{f.type}] {f.id}: {f.text}" + (f"  {DISPUTED}" if f.disputed else ""), "   ")
                      for f in view.sample),
                ]
            )
        )
    return "\n\n".join(out)


def _block(block: Block) -> str:
    notes = [c for c in block.citations if c.fact_id]
    marker = f"  {DISPUTED} (cites a disputed fact)" if block.disputed else ""
    cited = ", ".join(dict.fromkeys(c.fact_id for c in notes))
    return _wrap(block.text, "") + marker + (f"\n   cites: {cited}" if cited else "")


def synthesis(answer: SynthesisAnswer, perspective: int | None = None) -> str:
    if perspective is not None:
        if not 1 <= perspective <= len(answer.perspectives):
            return f"{answer.concept} has perspectives 1-{len(answer.perspectives)}."
        p = answer.perspectives[perspective - 1]
        head = f"{answer.concept} — perspective {perspective}: {p.model}"
        head += f" ({p.stance}, {p.confidence}% confidence)" if p.stance else f" ({p.confidence}% confidence)"
        return head + "\n\n" + _block(p)
    out = [f"{answer.concept} — {answer.subtitle}"]
    out += [_block(p) for p in answer.paragraphs]
    out.append(f"{len(answer.perspectives)} model perspectives: /synthesis perspective:1 … {len(answer.perspectives)}")
    return "\n\n".join(out)


def disputes(items: list[Dispute], texts: dict[str, str]) -> str:
    if not items:
        return "No open disputes."
    out = [f"{len(items)} open dispute(s)"]
    for d in items:
        out.append(
            f"{d.fact_id} (guild {d.guild_id}) since {d.flagged_at} by {', '.join(d.flagged_by)}\n"
            + _wrap(texts.get(d.fact_id, ""))
            + "\n"
            + "\n".join(_wrap(f"reason: {r}") for r in d.reasons)
        )
    return "\n\n".join(out)


def flag_result(result: FlagResult) -> str:
    verb = {"flag": "Flagged", "unflag": "Resolved the dispute on"}[result.event.action]
    extra = " (reason added to the open dispute)" if result.event.action == "flag" and result.already_disputed else ""
    return f"{verb} {result.fact.id}{extra}.\n" + fact_block(result.fact)
