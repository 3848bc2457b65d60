"""Configuration: defaults, every key, one clear message per bad key, exit code 2, token hidden."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_config, with_shards
from tests.conftest import ROOT


def test_defaults_without_a_file():
    config = load_config(None, environ={})
    assert config.storage.database == "data/factbot.sqlite3" and config.storage.seeds == "seeds"
    assert config.bot.results_per_page == 5 and not config.has_token


def test_example_file_is_valid():
    config = load_config(ROOT / "config.example.toml", environ={})
    assert config.discord.api_base_url == "https://discord.com/api/v10"


def test_environment_token_wins_and_is_never_in_repr(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[discord]\ntoken = "file-token-123"\nguild_ids = [42]\n')
    config = load_config(path, environ={"DISCORD_TOKEN": "env-token-456"})
    assert config.discord.token == "env-token-456" and config.discord.guild_ids == (42,)
    assert "env-token-456" not in repr(config)


@pytest.mark.parametrize(
    "body, key",
    [
        ('[discord]\nguild_ids = ["123"]', "discord.guild_ids"),
        ("[discord]\naudit_channel_id = -1", "discord.audit_channel_id"),
        ('[discord]\napi_base_url = "ftp://x"', "discord.api_base_url"),
        ('[discord]\ntokn = "x"', "discord.tokn"),
        ("[bot]\nresults_per_page = 50", "bot.results_per_page"),
        ('[bot]\nlog_level = "LOUD"', "bot.log_level"),
        ('[storage]\ndatabase = ""', "storage.database"),
        ("[storage]\ndatabase = 3", "storage.database"),
        ("[extras]\nx = 1", "[extras]"),
        ('[state]\nurl = "mysql://u:pw@h/db"', "state.url"),
        ("[state]\nurl = 5", "state.url"),
        ("[discord]\nshard_count = -1", "discord.shard_count"),
        ("[discord]\nshard_ids = [0]", "discord.shard_ids needs discord.shard_count"),
        ("[discord]\nshard_count = 2\nshard_ids = [2]", "discord.shard_ids"),
        ("[discord]\nshard_count = 2\nshard_ids = [1, 1]", "discord.shard_ids"),
        ("not toml at all = = =", "not valid TOML"),
        ('token = "abc"', "token must be under a [discord] header"),
        ("[discord]\ntoken = 7654321", "discord.token must be a string"),
    ],
)
def test_bad_keys_are_named(tmp_path, body, key):
    path = tmp_path / "c.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert key in str(info.value)
    assert "7654321" not in str(info.value)  # a token, even of the wrong kind, is never printed


def test_cli_exits_2_naming_the_key(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[discord]\ntoken = "secret-token-xyz"\nmoderator_role_ids = "admins"\n')
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--config", str(path), "/help"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "discord.moderator_role_ids" in result.stderr
    assert "secret-token-xyz" not in result.stderr + result.stdout


def test_missing_config_file_exits_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "load", "--config", str(tmp_path / "none.toml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not found" in result.stderr


def test_state_url_from_the_environment_wins_and_is_never_printed(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[state]\nurl = "postgresql://file:pw-in-file@db/factbot"\n')
    config = load_config(path, environ={"FACTBOT_STATE_URL": "postgresql://env:pw-in-env@db/factbot"})
    assert config.state.url == "postgresql://env:pw-in-env@db/factbot"
    assert "pw-in-env" not in repr(config)
    assert load_config(None, environ={}).state.url == ""
    path.write_text('[state]\nurl = "mysql://u:secret-pw@h/db"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "secret-pw" not in str(info.value)


def test_shards_from_the_file_and_the_command_line(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[discord]\nshard_count = 4\nshard_ids = [3, 1]\n")
    config = load_config(path, environ={})
    assert (config.discord.shard_count, config.discord.shard_ids, config.discord.syncs_commands) == (4, (1, 3), False)
    moved = with_shards(config, "0,2", 6)
    assert (moved.discord.shard_count, moved.discord.shard_ids, moved.discord.syncs_commands) == (6, (0, 2), True)
    assert with_shards(config, None, 3).discord.shard_ids == ()  # --of alone: every shard of the new count
    assert with_shards(config, None, None) is config
    for shards, of, named in (("0,4", 4, "--shards"), ("a", 2, "--shards"), ("0", -1, "--of")):
        with pytest.raises(ConfigError) as info:
            with_shards(load_config(None, environ={}), shards, of)
        assert named in str(info.value)


def test_cli_bad_shards_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--shards", "0,3", "--of", "2"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--shards" in result.stderr


@pytest.mark.parametrize("before", [True, False], ids=["before the command", "after it"])
def test_config_is_read_wherever_it_is_given(tmp_path, monkeypatch, capsys, before):
    """`python -m bot --config F ask ...` once ignored F and wrote to ./data/: a moderator's flag
    would have gone to a database the bot never reads."""
    from bot.__main__ import main
    from tests.conftest import SEED

    monkeypatch.chdir(tmp_path)
    missing = ["--config", str(tmp_path / "missing.toml")]
    assert main([*missing, "ask", "/fact bdnf"] if before else ["ask", "/fact bdnf", *missing]) == 2
    assert "missing.toml not found" in capsys.readouterr().err
    config = tmp_path / "c.toml"
    config.write_text(f'[storage]\ndatabase = "{tmp_path / "mine.sqlite3"}"\nseeds = "{SEED}"\n[search]\nmeaning = false\n')
    given = ["--config", str(config)]
    assert main([*given, "ask", "/fact bdnf"] if before else ["ask", "/fact bdnf", *given]) == 0
    assert (tmp_path / "mine.sqlite3").exists() and not (tmp_path / "data").exists()
