"""Answers -> readable console text."""

from __future__ import annotations

import textwrap

from bot.render.marks import DISPUTED
from storage import (
    LETTERS,
    Ambiguous,
    Block,
    CheckAnswer,
    Deck,
    Outcome,
    QuizQuestion,
    Reveal,
    Scoreboard,
    Dispute,
    FactAnswer,
    FactView,
    FlagResult,
    Missing,
    SourceAnswer,
    SynthesisAnswer,
)

WIDTH = 100


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def citation_line(fact: FactView) -> str:
    """"Title — authors/publisher, date — https://domain"."""
    parts = [fact.source.title, fact.source.byline, fact.source.date or "", fact.source.url]
    return " — ".join(p for p in parts if p)


def fact_block(fact: FactView, number: int | None = None) -> str:
    head = f"{number}. " if number is not None else ""
    lines = [f"{head}[{fact.type}] {fact.id}" + (f"  {DISPUTED}" if fact.disputed else "")]
    lines.append(_wrap(fact.text))
    lines.append(_wrap(citation_line(fact)))
    for reason in fact.dispute_reasons:
        lines.append(_wrap(f"{DISPUTED}: {reason}"))
    return "\n".join(lines)


def fact_answer(answer: FactAnswer) -> str:
    if answer.missing:
        return missing(answer.missing)
    if not answer.results:
        if answer.capped:
            return (f"No more results: these were the best {answer.total} for {answer.query!r}; add words, type: or"
                    " source: to narrow it.")
        return f"No more results: {answer.total} in all for {answer.query!r}."
    first = answer.offset + 1
    header = f"{first}-{answer.offset + len(answer.results)} of {answer.of_total} for {answer.query!r}"
    if answer.searched_as:
        header += " (searched " + ", ".join(f"{k} → {v}" for k, v in answer.searched_as.items()) + ")"
    blocks = [fact_block(f, first + i) for i, f in enumerate(answer.results)]
    return "\n\n".join([header, *blocks])


def check_answer(answer: CheckAnswer) -> str:
    """The facts related to a checked message, or why there are none."""
    if answer.missing:
        return missing(answer.missing)
    shown = " ".join(answer.text.split())
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    count = len(answer.results)
    header = f"{count} fact{'' if count == 1 else 's'} related to “{shown}” — what the page's sources say:"
    blocks = [fact_block(f, i) + f"\n   (matched by {f.match})" for i, f in enumerate(answer.results, 1)]
    return "\n\n".join([header, *blocks])


def source_answer(answer: SourceAnswer) -> str:
    if answer.missing:
        return missing(answer.missing)
    if not answer.results:
        return f"No more sources: {answer.total} in all."
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
    unresolved = f"\n   {block.unresolved_note}" if block.unresolved else ""
    return _wrap(block.text, "") + marker + (f"\n   cites: {cited}" if cited else "") + unresolved


def synthesis(answer: SynthesisAnswer, perspective: int | None = None) -> str:
    if perspective is not None:
        p = answer.perspectives[perspective - 1]
        head = f"{answer.concept} — perspective {perspective}: {p.model}"
        head += f" ({p.stance}, {p.confidence}% confidence)" if p.stance else f" ({p.confidence}% confidence)"
        return head + "\n\n" + _block(p)
    out = [f"{answer.concept} — {answer.subtitle}"]
    out += [_block(p) for p in answer.paragraphs]
    out.append(f"{len(answer.perspectives)} model perspectives: /synthesis perspective:1 … {len(answer.perspectives)}")
    return "\n\n".join(out)


def disputes(items: list[Dispute], texts: dict[str, str], offset: int, total: int) -> str:
    if not total:
        return "No open disputes."
    if not items:
        return f"No more disputes: {total} open in all."
    out = [f"{offset + 1}-{offset + len(items)} of {total} open dispute{'' if total == 1 else 's'}"]
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


def missing(what: Missing) -> str:
    """An empty answer: what was not found, and what exists instead."""
    return what.message


def candidates(ambiguous: Ambiguous) -> str:
    """The facts /flag's text could mean, and how to flag one of them by its id."""
    blocks = [fact_block(f, i) for i, f in enumerate(ambiguous.candidates, 1)]
    return "\n\n".join([f"{ambiguous} For example: /flag {ambiguous.candidates[0].id} reason:<why>", *blocks])


def quiz_question(question: QuizQuestion) -> str:
    """The question and its four choices, as the console prints them."""
    lines = [f"Question {question.id} ({question.fact.type if question.fact else question.cloze.kind}, "
             f"fill the blank with {'an' if question.cloze.kind[0] in 'aeiou' else 'a'} {question.cloze.kind}):",
             _wrap(question.cloze.prompt)]
    lines += [f"   {letter}) {choice}" for letter, choice in zip(LETTERS, question.cloze.choices)]
    return "\n".join(lines)


def quiz_reveal(reveal: Reveal, outcome: Outcome | None = None) -> str:
    """Right or wrong, the answer, the fact in full with its citation and id, who got it right."""
    state = reveal.state
    answer = f"{LETTERS[state.answer]}) {state.choices[state.answer]}"
    lines = []
    if outcome is not None:
        lines.append(("Right! " if outcome.correct else f"Not quite (you chose {LETTERS[outcome.choice]}). ")
                     + f"The answer is {answer}.")
    else:
        lines.append(f"The answer is {answer}.")
    lines.append(fact_block(reveal.fact) if reveal.fact else f"(fact {state.fact_id} is no longer loaded)")
    winners = state.winners
    lines.append("Right: " + (", ".join(winners) if winners else "nobody") + f" ({len(state.answers)} answered)")
    return "\n".join(lines)


def scores(board: Scoreboard) -> str:
    if not board.top:
        return "No quiz answers here yet: /quiz play asks a question."
    lines = [f"Quiz scores ({board.players} player{'' if board.players == 1 else 's'}):"]
    lines += [f"{s.rank:>3}. {s.user_name} — {s.correct} right of {s.answered}" for s in board.top]
    if board.you is not None:
        lines.append(f"You: rank {board.you.rank}, {board.you.correct} right of {board.you.answered}")
    return "\n".join(lines)


def deck(made: Deck) -> str:
    text = (f"{made.filename}: {made.notes} notes ({made.cloze_notes} cloze, {made.notes - made.cloze_notes} basic), "
            f"{len(made.data) / 1024:.0f} KiB")
    if made.disputed_left_out:
        text += f"; {made.disputed_left_out} disputed fact(s) left out (include_disputed:true keeps them)"
    if made.disputed_included:
        text += f"; {made.disputed_included} disputed fact(s) included, tagged disputed"
    return text
