"""One command spec: the commands Discord receives, the console's parser and both /help texts
all come from bot/spec.py, so a help line or a limit declared twice shows up here as a mismatch."""

from __future__ import annotations

import re

import pytest

from bot.console import Console, UsageError, help_text, parse_command
from bot.render import embeds
from bot.spec import COMMANDS, CommandSpec, leaves
from tests.fakediscord.harness import running_bot

SUB_COMMAND, STRING, INTEGER, BOOLEAN = 1, 3, 4, 5
CHAT_INPUT, MESSAGE = 1, 3  # command types


def _same_options(sent_options: list[dict], spec: CommandSpec) -> None:
    options = {o["name"]: o for o in sent_options}
    assert list(options) == [o.name for o in spec.discord_options], spec.full_name
    for option in spec.discord_options:
        sent = options[option.name]
        assert sent["description"] == option.description
        assert sent.get("required", False) == option.required, (spec.full_name, option.name)
        if option.kind is bool:
            assert sent["type"] == BOOLEAN
        elif option.kind is int:
            assert sent["type"] == INTEGER and (sent["min_value"], sent["max_value"]) == (option.min, option.max)
        else:
            assert sent["type"] == STRING
            if option.choices:
                assert [c["value"] for c in sent["choices"]] == list(option.choices)
            else:
                assert (sent["min_length"], sent["max_length"]) == (option.min, option.max), (spec.full_name, option.name)


async def test_synced_commands_are_the_spec(library):
    async with running_bot(library) as run:
        synced = {c["name"]: c for c in run.fake.of_kind("sync")[-1].body}
        assert run.fake.violations == []
    assert set(synced) == {spec.discord_name for spec in COMMANDS.values()}
    for name, spec in COMMANDS.items():
        command = synced[spec.discord_name]
        if spec.message_command:  # a message command: a name with spaces allowed, no description, no options
            assert command["type"] == MESSAGE and "options" not in command and not command.get("description")
            assert spec.options and all(o.name == spec.main for o in spec.options), "the message is its only input"
            continue
        assert command["type"] == CHAT_INPUT and command["description"] == spec.description
        if spec.subcommands:  # a group: its options are its subcommands, each with the spec's options
            subs = {o["name"]: o for o in command["options"]}
            assert list(subs) == [c.name for c in spec.subcommands]
            for sub in spec.subcommands:
                assert subs[sub.name]["type"] == SUB_COMMAND and subs[sub.name]["description"] == sub.description
                _same_options(subs[sub.name].get("options", []), sub)
        else:
            _same_options(command.get("options", []), spec)
        hidden = command.get("default_member_permissions")
        assert (int(hidden) == 1 << 13) if spec.moderators else hidden is None, name


def test_console_help_and_discord_help_list_the_spec():
    console = " ".join(help_text().split())  # the console wraps long help lines
    embed = embeds.help_embed()
    fields = {f.name: f.value for f in embed.fields}
    for spec in leaves():
        assert spec.usage in console and spec.help in console
        if spec.name != "help":
            assert fields[spec.discord_usage].startswith(spec.help) and spec.discord_example in fields[spec.discord_usage]
    assert "Apps → Check facts" in str(fields) and "/check <text>" in console


def test_console_enforces_the_spec_limits():
    fact = COMMANDS["fact"]
    parse_command("/fact " + "x" * fact.option("query").max)
    with pytest.raises(UsageError, match=f"at most {fact.option('query').max}"):
        parse_command("/fact " + "x" * (fact.option("query").max + 1))
    reason = COMMANDS["flag"].option("reason").max
    with pytest.raises(UsageError, match=f"at most {reason}"):
        parse_command("/flag 7lm2vnhe reason:" + "y" * (reason + 1))
    top = COMMANDS["synthesis"].option("perspective").max
    with pytest.raises(UsageError, match=f"from 1 to {top}"):
        parse_command(f"/synthesis perspective:{top + 1}")
    with pytest.raises(UsageError, match="needs fact and reason"):
        parse_command("/flag")
    # A pasted message longer than the check reads is cut there, as in Discord, not refused.
    text = COMMANDS["check"].option("text").max
    assert len(parse_command("/check " + "z" * (text + 500)).options["text"]) == text + 500
    assert parse_command("/quiz play type:claim").name == "quiz play"
    with pytest.raises(UsageError, match="/quiz play"):
        parse_command("/quiz")
    with pytest.raises(UsageError, match="true or false"):
        parse_command("/export include_disputed:maybe")


async def test_console_dispatches_every_spec_command(library):
    console = Console(library, "tester")
    for spec in leaves():
        data, rendered = await console.run(spec.example)
        assert data["command"] in (spec.full_name, spec.group) and "error" not in data and rendered, spec.example
        assert not re.search(r"unknown command", rendered)
