"""Answers -> Discord embeds that always fit Discord's limits (bot/render/limits.py)."""

from __future__ import annotations

import discord

from bot.render.limits import (
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    EMBED_TOTAL,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME,
    FIELD_VALUE,
    FOOTER,
    SELECT_LABEL,
    SELECT_OPTIONS,
    chunks,
    clip,
    one_line,
)
from bot.render.marks import DISPUTED
from bot.spec import leaves
from storage import (
    LETTERS,
    Block,
    CheckAnswer,
    Deck,
    QuizState,
    Reveal,
    Scoreboard,
    Dispute,
    FactAnswer,
    FactView,
    FlagResult,
    Missing,
    SourceAnswer,
    SourceView,
    SynthesisAnswer,
    footnotes,
    unresolved_note,
)

COLOUR = discord.Colour.teal()
DISPUTED_COLOUR = discord.Colour.orange()
CONTESTED = f"{DISPUTED} facts are contested by this server's moderators; read them critically."


def citation(fact: FactView) -> str:
    """"*Title* — authors/publisher, date · <https://domain>" (angle brackets: no link preview)."""
    source = fact.source
    parts = [f"*{one_line(source.title, 200)}*", one_line(source.byline, 200)]
    if source.date:
        parts.append(source.date)
    return " — ".join(parts) + (f" · <{source.url}>" if source.url else "")


def _dispute_lines(fact: FactView, limit: int = 300) -> list[str]:
    reasons = fact.dispute_reasons
    if not reasons:
        return []
    latest = clip(reasons[-1], limit)
    more = f" (+{len(reasons) - 1} earlier)" if len(reasons) > 1 else ""
    return [f"**{DISPUTED}** by a moderator: {latest}{more}"]


def fact_field(fact: FactView, number: int, budget: int) -> tuple[str, str]:
    """(name, value) of one fact in a result list; the value fits `budget` characters."""
    marker = f" {DISPUTED}" if fact.disputed else ""
    name = one_line(f"{number}. {fact.type} · {fact.id}{marker}", FIELD_NAME)
    limit = min(FIELD_VALUE, budget)
    tail = clip("\n".join([f"— {citation(fact)}", *_dispute_lines(fact)]), max(60, limit // 2))
    room = limit - len(tail) - 1
    text = fact.text.strip()
    if len(text) > room:
        hint = f" (`/fact {fact.id}` for all of it)"
        text = clip(text, max(20, room - len(hint))) + hint
    return name, clip(f"{text}\n{tail}", limit)


def fact_list(answer: FactAnswer) -> discord.Embed:
    """One page of /fact results."""
    title = one_line(f"Facts for “{answer.query}”", EMBED_TITLE)
    notes = []
    if answer.searched_as:
        notes.append("Searched " + ", ".join(f"**{k}** → **{v}**" for k, v in answer.searched_as.items()))
    if any(f.disputed for f in answer.results):
        notes.append(CONTESTED)
    embed = discord.Embed(
        title=title,
        description=clip("\n".join(notes), 500) or None,
        colour=DISPUTED_COLOUR if any(f.disputed for f in answer.results) else COLOUR,
    )
    first = answer.offset + 1
    embed.set_footer(text=f"{first}-{answer.offset + len(answer.results)} of {answer.of_total}")
    return _fact_fields(embed, answer.results, first)


def _fact_fields(embed: discord.Embed, facts: list[FactView], first: int = 1) -> discord.Embed:
    """One field per fact, numbered from `first`, sharing what the embed has left of EMBED_TOTAL."""
    budget = (EMBED_TOTAL - len(embed) - 200) // max(1, len(facts))
    for number, fact in enumerate(facts, first):
        name, value = fact_field(fact, number, budget - FIELD_NAME)
        embed.add_field(name=name, value=value, inline=False)
    return embed


def fact_detail(fact: FactView, dispute_state: bool = False) -> discord.Embed:
    """One fact in full (a fact id was asked for); `dispute_state` also says when it is undisputed."""
    marker = f" {DISPUTED}" if fact.disputed else ""
    embed = discord.Embed(
        title=one_line(f"{fact.type} · {fact.id}{marker}", EMBED_TITLE),
        description=clip(fact.text, EMBED_DESCRIPTION - 200),
        colour=DISPUTED_COLOUR if fact.disputed else COLOUR,
        url=fact.source.url or None,
    )
    embed.add_field(name="Source", value=clip(citation(fact), FIELD_VALUE), inline=False)
    for dispute in fact.disputes:
        reasons = "\n".join(f"• {clip(r, 300)}" for r in dispute.reasons)
        embed.add_field(
            name=one_line(f"{DISPUTED} since {dispute.flagged_at[:10]}", FIELD_NAME),
            value=clip(reasons, FIELD_VALUE),
            inline=False,
        )
    if dispute_state and not fact.disputes:
        embed.add_field(name="Disputes", value="Not disputed in this server.", inline=False)
    embed.set_footer(text=one_line(f"concept: {fact.concept}", FOOTER))
    return embed


def message_link(guild_id: int | None, channel_id: int | None, message_id: int) -> str:
    """Discord's link to a message (a DM's guild is "@me")."""
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def check_answer(answer: CheckAnswer, checked: str) -> discord.Embed:
    """The facts related to a checked message (`checked` links to it), each with its citation."""
    quoted = "\n".join(f"> {line}" for line in clip(answer.text, 300).splitlines() if line.strip())
    notes = [quoted, "What the page's sources say, most related first. Related is not the same as agreeing: "
                     "read each fact against the message."]
    disputed = any(f.disputed for f in answer.results)
    if disputed:
        notes.append(CONTESTED)
    embed = discord.Embed(title="Check facts: the message", url=checked, colour=DISPUTED_COLOUR if disputed else COLOUR,
                          description=clip("\n\n".join(notes), 1000))
    matches = ", ".join(dict.fromkeys(f.match for f in answer.results if f.match))
    count = len(answer.results)
    embed.set_footer(text=one_line(f"{count} related fact{'' if count == 1 else 's'} · matched by {matches}", FOOTER))
    return _fact_fields(embed, answer.results)


def shared_by(mention: str, checked: str) -> str:
    """The content of a shared check: who shared it and the message it checks (mentions never ping)."""
    return clip(f"{mention} shared what the page's sources say about this message: {checked}", CONTENT)


def cited_options(answer: SynthesisAnswer, blocks: list[Block]) -> list[list[tuple[str, str, str]]]:
    """The facts the blocks cite as select-menu options (label, value = fact id, description),
    numbered like the footnotes, SELECT_OPTIONS to a menu."""
    options = []
    for fact_id, number in footnotes(blocks).items():
        fact = answer.cited.get(fact_id)
        if fact is None:
            continue  # cited, but no longer on the page
        marker = f"{DISPUTED} · " if fact.disputed else ""
        label = one_line(f"[{number}] {fact.text}", SELECT_LABEL)
        options.append((label, fact_id, one_line(f"{marker}{fact.type} · {fact.id} · {fact.source.title}", SELECT_LABEL)))
    return [options[i : i + SELECT_OPTIONS] for i in range(0, len(options), SELECT_OPTIONS)]


def missing(what: Missing) -> str:
    """An empty answer as message content: what was not found, and what exists instead."""
    return clip(what.message, CONTENT)


def source_detail(view: SourceView) -> discord.Embed:
    """A source: citation, counts by type, a few of its facts."""
    source = view.source
    embed = discord.Embed(title=one_line(source.title, EMBED_TITLE), url=source.url, colour=COLOUR)
    embed.description = clip(
        " — ".join(x for x in (source.byline, source.date or "", f"<{source.url}>") if x), 1000
    )
    counts = ", ".join(f"{n} {t}" for t, n in view.counts_by_type.items()) or "none"
    embed.add_field(name=f"{source.fact_count} facts", value=clip(counts, FIELD_VALUE), inline=False)
    if view.disputed:
        embed.colour = DISPUTED_COLOUR
        ids = ", ".join(f"`{i}`" for i in view.disputed[:20])
        embed.add_field(name=f"{DISPUTED}: {len(view.disputed)} of its facts", value=clip(ids, FIELD_VALUE), inline=False)
    for fact in view.sample:
        marker = f" {DISPUTED}" if fact.disputed else ""
        embed.add_field(
            name=one_line(f"{fact.type} · {fact.id}{marker}", FIELD_NAME),
            value=clip("\n".join([fact.text, *_dispute_lines(fact)]), 600),
            inline=False,
        )
    embed.set_footer(text=one_line(f"concept: {source.concept}", FOOTER))
    return embed


def source_list(answer: SourceAnswer) -> discord.Embed:
    """A page of sources with their fact counts (/source without a query)."""
    embed = discord.Embed(title="Sources", colour=COLOUR)
    lines = []
    for view in answer.results:
        s = view.source
        disputed = len(view.disputed)
        lines.append(
            f"**{one_line(s.title, 150)}** — {one_line(s.byline, 120)}"
            + (f", {s.date}" if s.date else "")
            + f" · {s.fact_count} facts" + (f" · {DISPUTED} ({disputed})" if disputed else "")
        )
    embed.description = clip("\n".join(lines), EMBED_DESCRIPTION)
    embed.set_footer(text=f"{answer.offset + 1}-{answer.offset + len(answer.results)} of {answer.total}")
    return embed


def footnoted(block: Block, numbers: dict[str, int]) -> str:
    """The block's text with [n] inserted where each resolved citation stands."""
    text = block.text
    marks: dict[int, list[int]] = {}
    for c in block.citations:
        if c.fact_id:
            number = numbers.setdefault(c.fact_id, len(numbers) + 1)
            if number not in marks.setdefault(c.anchor, []):
                marks[c.anchor].append(number)
    for anchor in sorted(marks, reverse=True):
        label = "".join(f"[{n}]" for n in marks[anchor])
        text = text[:anchor] + label + text[anchor:]
    return text


def synthesis_messages(answer: SynthesisAnswer) -> list[list[discord.Embed]]:
    """The synthesis as messages of embeds: one embed per paragraph (split if long), footnotes
    naming fact ids last; each message within 10 embeds and 6,000 characters."""
    numbers = footnotes(answer.paragraphs)
    disputed_ids = {c.fact_id for p in answer.paragraphs for c in p.citations if c.disputed}
    embeds: list[discord.Embed] = []
    for block in answer.paragraphs:
        text = footnoted(block, numbers)
        if block.disputed:
            text += f"\n\n**{DISPUTED}**: this paragraph cites a fact this server's moderators dispute."
        for part in chunks(text, EMBED_DESCRIPTION):
            embed = discord.Embed(description=part, colour=DISPUTED_COLOUR if block.disputed else COLOUR)
            embeds.append(embed)
    if embeds:
        embeds[0].title = one_line(f"{answer.concept} — {answer.subtitle}", EMBED_TITLE)
    notes = [
        f"[{n}] `{fact_id}`" + (f" {DISPUTED}" if fact_id in disputed_ids else "")
        for fact_id, n in numbers.items()
    ]
    unresolved = unresolved_note(sum(block.unresolved for block in answer.paragraphs), "the text")
    notes += [unresolved] if unresolved else []
    notes.append(f"{len(answer.perspectives)} model perspectives: `/synthesis perspective:1` … `{len(answer.perspectives)}`")
    for part in chunks("\n".join(notes), EMBED_DESCRIPTION):
        embeds.append(discord.Embed(title="Citations (use /fact <id>)", description=part, colour=COLOUR))
    return pack(embeds)


def perspective(answer: SynthesisAnswer, number: int) -> list[list[discord.Embed]]:
    """One model perspective with its model id, stance and confidence."""
    block = answer.perspectives[number - 1]
    numbers = footnotes([block])
    text = footnoted(block, numbers)
    embeds = [discord.Embed(description=part, colour=COLOUR) for part in chunks(text, EMBED_DESCRIPTION)]
    stance = f"{block.stance}, " if block.stance else ""
    confidence = f"{block.confidence}% confidence" if block.confidence is not None else "confidence not stated"
    embeds[0].title = one_line(f"{answer.concept} — perspective {number} of {len(answer.perspectives)}", EMBED_TITLE)
    embeds[0].set_author(name=one_line(f"{block.model} ({stance}{confidence})", 256))
    cited = [f"[{n}] `{fact_id}`" for fact_id, n in numbers.items()] + ([block.unresolved_note] if block.unresolved else [])
    if cited:
        embeds.append(discord.Embed(title="Citations", description=clip("\n".join(cited), EMBED_DESCRIPTION), colour=COLOUR))
    return pack(embeds)


def pack(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6,000 characters."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        if current and (len(current) == EMBEDS_PER_MESSAGE or size + len(embed) > EMBED_TOTAL):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += len(embed)
    if current:
        messages.append(current)
    return messages


def disputes(items: list[Dispute], texts: dict[str, str], offset: int, total: int) -> discord.Embed:
    """A page of open disputes."""
    embed = discord.Embed(title="Open disputes", colour=DISPUTED_COLOUR)
    if not items:
        embed.description = "No open disputes in this server."
        return embed
    for d in items:
        who = ", ".join(d.flagged_by[:3])
        embed.add_field(
            name=one_line(f"{d.fact_id} — since {d.flagged_at[:10]} by {who}", FIELD_NAME),
            value=clip(f"{clip(texts.get(d.fact_id, ''), 300)}\nReason: {d.reasons[-1]}", 700),
            inline=False,
        )
    embed.set_footer(text=f"{offset + 1}-{offset + len(items)} of {total}")
    return embed


def candidates(facts: list[FactView]) -> discord.Embed:
    """The facts a moderator chooses among when /flag's text named none clearly."""
    return _fact_fields(discord.Embed(title="Which fact do you mean?", colour=DISPUTED_COLOUR), facts)


def flag_result(result: FlagResult) -> discord.Embed:
    """What a moderator sees after /flag or /unflag."""
    if result.event.action == "flag":
        title = f"Flagged {result.fact.id}" + (" (reason added)" if result.already_disputed else "")
    else:
        title = f"Dispute on {result.fact.id} resolved"
    embed = fact_detail(result.fact)
    embed.title = one_line(title, EMBED_TITLE)
    return embed


def audit(result: FlagResult, name: str, mention: str) -> discord.Embed:
    """The audit-channel post for one flag or unflag: the moderator's name in the title (Discord
    shows a mention there as raw markup) and their mention, a link to them, in a field."""
    event = result.event
    verb = "flagged" if event.action == "flag" else "resolved the dispute on"
    embed = discord.Embed(
        title=one_line(f"{name} {verb} {result.fact.id}", EMBED_TITLE),
        description=clip(result.fact.text, 1500),
        colour=DISPUTED_COLOUR if event.action == "flag" else COLOUR,
    )
    embed.add_field(name="Moderator", value=clip(mention, FIELD_VALUE), inline=False)
    embed.add_field(name="Reason", value=clip(event.reason, FIELD_VALUE), inline=False)
    embed.add_field(name="Source", value=clip(citation(result.fact), FIELD_VALUE), inline=False)
    embed.set_footer(text=f"{event.at} · guild {event.guild_id}")
    return embed


def help_embed() -> discord.Embed:
    """Every command's usage and help line, from the command spec."""
    embed = discord.Embed(title="factbot — cited facts for this study server", colour=COLOUR)
    for spec in leaves():
        if spec.name == "help":
            continue
        embed.add_field(name=one_line(spec.discord_usage, FIELD_NAME),
                        value=clip(f"{spec.help} e.g. `{spec.discord_example}`", FIELD_VALUE), inline=False)
    embed.set_footer(text="Answers come from the loaded concept pages; nothing is made up.")
    return embed


def quiz_question(state: QuizState) -> discord.Embed:
    """The question, its four choices, the running count of answers and when it closes."""
    choices = "\n".join(f"**{letter}** — {one_line(choice, 200)}" for letter, choice in zip(LETTERS, state.choices))
    embed = discord.Embed(
        title="Quiz — fill the blank",
        description=clip(state.prompt, EMBED_DESCRIPTION - 1200) + "\n\n" + choices
        + f"\n\nCloses <t:{int(state.closes_at)}:R>. Anyone may answer, once.",
        colour=COLOUR,
    )
    count = len(state.answers)
    embed.set_footer(text=f"{count} answer{'' if count == 1 else 's'} so far · question {state.id}")
    return embed


def quiz_reveal(reveal: Reveal) -> discord.Embed:
    """The answer, the fact in full with its citation and id, and who got it right."""
    state = reveal.state
    fact = reveal.fact
    embed = discord.Embed(
        title=one_line(f"Answer: {LETTERS[state.answer]} — {state.choices[state.answer]}", EMBED_TITLE),
        description=clip(fact.text if fact else state.prompt, EMBED_DESCRIPTION - 200),
        colour=DISPUTED_COLOUR if fact and fact.disputed else COLOUR,
    )
    if fact is not None:
        embed.add_field(name="Source", value=clip(citation(fact), FIELD_VALUE), inline=False)
    winners = state.winners
    right = ", ".join(winners) if winners else "nobody this time"
    embed.add_field(name=f"Right ({len(winners)} of {len(state.answers)})", value=clip(right, FIELD_VALUE), inline=False)
    embed.set_footer(text=one_line(f"fact {state.fact_id}" + (f" · {fact.type}" if fact else "") + f" · question {state.id}",
                                   FOOTER))
    return embed


def scores(board: Scoreboard) -> discord.Embed:
    """The server's top players and the asker's own rank."""
    embed = discord.Embed(title="Quiz scores", colour=COLOUR)
    if not board.top:
        embed.description = "No answers in this server yet: `/quiz play` asks a question."
        return embed
    embed.description = "\n".join(f"**{s.rank}.** {one_line(s.user_name, 80)} — {s.correct} right of {s.answered}"
                                  for s in board.top)
    you = board.you
    embed.set_footer(text=f"You: rank {you.rank} of {board.players}, {you.correct} right of {you.answered}" if you
                     else f"You have not answered yet · {board.players} players")
    return embed


def deck(made: Deck) -> discord.Embed:
    """What the attached deck holds."""
    embed = discord.Embed(title=one_line(f"Anki deck: {made.filename}", EMBED_TITLE), colour=COLOUR)
    lines = [f"{made.notes} notes: {made.cloze_notes} cloze, {made.notes - made.cloze_notes} basic; "
             "each back shows the source and the fact id. Import it in Anki with File → Import."]
    if made.disputed_left_out:
        lines.append(f"{DISPUTED}: {made.disputed_left_out} disputed fact(s) left out (`include_disputed:true` keeps them).")
    if made.disputed_included:
        lines.append(f"{DISPUTED}: {made.disputed_included} disputed fact(s) included, tagged `disputed`.")
    embed.description = clip("\n".join(lines), EMBED_DESCRIPTION)
    return embed


def deck_too_large(made: Deck, limit: int) -> str:
    """Why no file came, and how to get one that fits."""
    return clip(f"The deck would be {len(made.data) / 1_048_576:.1f} MB, over this server's upload limit of "
                f"{limit / 1_048_576:.1f} MB. Narrow it: `concept:`, `source:` or `type:` (e.g. `/export type:claim`).",
                CONTENT)
