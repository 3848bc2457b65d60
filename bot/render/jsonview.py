"""Answers -> the console's JSON shapes (one object per command)."""

from __future__ import annotations

from typing import Any

from storage import (
    Ambiguous,
    Block,
    CheckAnswer,
    Deck,
    Outcome,
    QuizQuestion,
    Reveal,
    Score,
    Scoreboard,
    Dispute,
    FactAnswer,
    FactView,
    FlagResult,
    Missing,
    SourceAnswer,
    SourceInfo,
    SynthesisAnswer,
)


def source_json(source: SourceInfo) -> dict[str, Any]:
    return {
        "id": source.id,
        "title": source.title,
        "domain": source.domain,
        "url": source.url,
        "publisher": source.publisher,
        "authors": list(source.authors),
        "date": source.date,
        "fact_count": source.fact_count,
        "concept": source.concept,
    }


def fact_json(fact: FactView) -> dict[str, Any]:
    return {
        "id": fact.id,
        "type": fact.type,
        "text": fact.text,
        "score": fact.score,
        "match": fact.match,
        "disputed": fact.disputed,
        "dispute_reasons": fact.dispute_reasons,
        "concept": fact.concept,
        "source": source_json(fact.source),
    }


def fact_answer_json(answer: FactAnswer) -> dict[str, Any]:
    return {
        "command": "fact",
        "query": answer.query,
        "results": [fact_json(f) for f in answer.results],
        "total": answer.total,
        "capped": answer.capped,  # more facts match: total is the best ones, the most one search ranks
        "offset": answer.offset,
        "exact": answer.exact,
        "corrections": answer.corrections,
        "renamed": answer.renamed,  # typed words searched by the page's name for them
        "suggestions": answer.suggestions,
        "missing": missing_fields(answer.missing),
        "elapsed_ms": answer.elapsed_ms,
    }


def check_json(answer: CheckAnswer) -> dict[str, Any]:
    """The facts related to a checked message, each in the fact shape (with how it matched)."""
    return {
        "command": "check",
        "text": answer.text,
        "results": [fact_json(f) for f in answer.results],
        "missing": missing_fields(answer.missing),
        "elapsed_ms": answer.elapsed_ms,
    }


def source_answer_json(answer: SourceAnswer) -> dict[str, Any]:
    return {
        "command": "source",
        "query": answer.query,
        "results": [
            {**source_json(v.source), "score": v.score, "counts_by_type": v.counts_by_type,
             "disputed_facts": v.disputed, "sample": [fact_json(f) for f in v.sample]}
            for v in answer.results
        ],
        "total": answer.total,
        "offset": answer.offset,
        "suggestions": answer.suggestions,
        "missing": missing_fields(answer.missing),
        "elapsed_ms": answer.elapsed_ms,
    }


def _block_json(block: Block) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": block.text,
        "disputed": block.disputed,
        "citations": [
            {"kind": c.kind, "label": c.label, "number": c.number, "fact_id": c.fact_id, "score": c.score,
             "disputed": c.disputed}
            for c in block.citations
        ],
    }
    if block.model is not None:
        data = {"model": block.model, "stance": block.stance, "confidence": block.confidence, **data}
    return data


def synthesis_json(answer: SynthesisAnswer, perspective: int | None = None) -> dict[str, Any]:
    perspectives = answer.perspectives
    if perspective is not None:
        perspectives = perspectives[perspective - 1 : perspective]
    return {
        "command": "synthesis",
        "concept": answer.concept,
        "subtitle": answer.subtitle,
        "paragraphs": [] if perspective is not None else [_block_json(p) for p in answer.paragraphs],
        "perspectives": [_block_json(p) for p in perspectives],
    }


def disputes_json(disputes: list[Dispute], texts: dict[str, str], offset: int, total: int) -> dict[str, Any]:
    return {
        "command": "disputes",
        "total": total,
        "offset": offset,
        "results": [
            {"fact_id": d.fact_id, "guild_id": d.guild_id, "reasons": list(d.reasons),
             "flagged_by": list(d.flagged_by), "flagged_at": d.flagged_at, "text": texts.get(d.fact_id, "")}
            for d in disputes
        ],
    }


def flag_json(command: str, result: FlagResult) -> dict[str, Any]:
    event = result.event
    return {
        "command": command,
        "fact": fact_json(result.fact),
        "event": {"action": event.action, "actor": event.actor, "guild_id": event.guild_id,
                  "reason": event.reason, "at": event.at},
        "already_disputed": result.already_disputed,
    }


def missing_fields(missing: Missing | None) -> dict[str, Any] | None:
    """What an empty answer did not find: {"what", "asked", "message", "choices", "nearest"}."""
    if missing is None:
        return None
    return {"what": missing.what, "asked": missing.asked, "message": missing.message,
            "choices": list(missing.choices), "nearest": list(missing.nearest)}


def missing_json(command: str, missing: Missing) -> dict[str, Any]:
    """A command whose whole answer is missing (an unknown concept or perspective)."""
    return {"command": command, "error": missing.message, "missing": missing_fields(missing)}


def candidates_json(command: str, ambiguous: Ambiguous) -> dict[str, Any]:
    """/flag text that named no fact clearly: the error and the facts to choose among by id."""
    return {"command": command, "error": str(ambiguous), "candidates": [fact_json(f) for f in ambiguous.candidates]}


def quiz_json(question: QuizQuestion) -> dict[str, Any]:
    """{"command": "quiz", "fact_id", "question", "choices": [4], "answer": index, ...}."""
    return {
        "command": "quiz",
        "question_id": question.id,
        "fact_id": question.cloze.fact_id,
        "kind": question.cloze.kind,
        "question": question.cloze.prompt,
        "choices": list(question.cloze.choices),
        "answer": question.cloze.answer,
        "closes_at": question.closes_at,
    }


def quiz_reveal_json(reveal: Reveal, outcome: Outcome | None) -> dict[str, Any]:
    state = reveal.state
    return {
        "command": "quiz",
        "revealed": state.id,
        "answer": state.answer,
        "correct": None if outcome is None else outcome.correct,
        "fact": fact_json(reveal.fact) if reveal.fact else None,
        "right": state.winners,
        "answers": len(state.answers),
    }


def scores_json(board: Scoreboard) -> dict[str, Any]:
    def score(s: Score) -> dict[str, Any]:
        return {"rank": s.rank, "user_id": s.user_id, "user_name": s.user_name, "correct": s.correct,
                "answered": s.answered}

    return {"command": "quiz scores", "top": [score(s) for s in board.top],
            "you": score(board.you) if board.you else None, "players": board.players}


def deck_json(deck: Deck) -> dict[str, Any]:
    return {"command": "export", "filename": deck.filename, "notes": deck.notes, "cloze_notes": deck.cloze_notes,
            "bytes": len(deck.data), "disputed_left_out": deck.disputed_left_out,
            "disputed_included": deck.disputed_included}
