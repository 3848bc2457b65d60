"""Facts -> an Anki deck (.apkg, via genanki): a cloze on each fact's key term, or a basic card when
it has none; the back always carries the citation and the fact id."""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Container

import genanki

from storage.answers import FactView
from storage.study.terms import blanked_spans, hideable_terms

# Fixed ids: Anki recognises the note types again on every import, so notes update in place.
CLOZE_MODEL_ID = 1_607_392_319
BASIC_MODEL_ID = 1_607_392_320
_CITATION = "<hr><div class=citation>{{Citation}}</div><div class=factid>fact {{Fact id}}</div>"
_CSS = (".card { font-family: sans-serif; font-size: 20px; } .citation, .factid { font-size: 14px; color: #555; }"
        " .disputed { font-size: 14px; color: #b00; }")

CLOZE_MODEL = genanki.Model(
    CLOZE_MODEL_ID, "factbot cloze",
    fields=[{"name": "Text"}, {"name": "Citation"}, {"name": "Fact id"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}" + _CITATION}],
    css=_CSS, model_type=genanki.Model.CLOZE,
)
BASIC_MODEL = genanki.Model(
    BASIC_MODEL_ID, "factbot basic",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Citation"}, {"name": "Fact id"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}" + _CITATION}],
    css=_CSS,
)


def note_guid(fact_id: str) -> str:
    """A note's GUID from its fact id alone: a re-import updates the note instead of adding one."""
    return genanki.guid_for("factbot", fact_id)


def citation_html(fact: FactView) -> str:
    """Source title, publisher, authors, date and link."""
    source = fact.source
    parts = [f"<i>{html.escape(source.title)}</i>", html.escape(source.publisher)]
    if source.authors:
        parts.append(html.escape(", ".join(source.authors)))
    if source.date:
        parts.append(html.escape(source.date))
    parts.append(f'<a href="{html.escape(source.url)}">{html.escape(source.url)}</a>')
    return " — ".join(parts)


def _dispute_html(fact: FactView) -> str:
    """A disputed fact says so on its card (a tag alone is invisible while studying)."""
    if not fact.disputed:
        return ""
    reasons = "; ".join(html.escape(r) for r in fact.dispute_reasons) or "no reason given"
    return f"<div class=disputed>Disputed by a moderator of this server: {reasons}</div>"


def fact_note(fact: FactView, common: Container[str] = ()) -> genanki.Note:
    """A cloze note on the fact's key term, or a basic card asking what the source reports (when it
    has none, or only a `common` one: a cloze whose answer is that of one card in four is learnt
    from the others). A disputed fact says so before it is studied, and after."""
    tags = [_tag(fact.type), _tag(fact.concept)] + (["disputed"] if fact.disputed else [])
    term = next((t for t in hideable_terms(fact.text, fact.concept) if t.key not in common), None)
    disputed = _dispute_html(fact)
    citation = citation_html(fact) + disputed
    if term is not None:
        text, at = "", 0
        for start, end in blanked_spans(fact.text, term):  # every place: one left showing tells it
            text += html.escape(fact.text[at:start]) + "{{c1::" + html.escape(fact.text[start:end]) + "}}"
            at = end
        text += html.escape(fact.text[at:])
        return genanki.Note(CLOZE_MODEL, [disputed + text, citation, fact.id], guid=note_guid(fact.id), tags=tags)
    front = disputed + f"What does <i>{html.escape(fact.source.title)}</i> report ({html.escape(fact.type)})?"
    return genanki.Note(BASIC_MODEL, [front, html.escape(fact.text), citation, fact.id], guid=note_guid(fact.id),
                        tags=tags)


def build_deck(name: str, facts: list[FactView], common: Container[str] = ()) -> tuple[bytes, int]:
    """(the .apkg bytes, how many notes are clozes) for `facts` in a deck called `name`. A term in
    `common` ("Montreal") is no cloze: the quiz asks it now and then, a deck every time."""
    deck = genanki.Deck(int.from_bytes(hashlib.sha256(name.encode()).digest()[:6], "big"), name)
    clozes = 0
    for fact in facts:
        note = fact_note(fact, common)
        clozes += note.model is CLOZE_MODEL
        deck.add_note(note)
    out = io.BytesIO()
    genanki.Package(deck).write_to_file(out)
    return out.getvalue(), clozes


def _tag(text: str) -> str:
    """Anki tags hold no spaces."""
    return re.sub(r"\s+", "_", text.strip().lower()) or "untagged"
