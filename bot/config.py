"""config.toml -> a frozen Config; one clear message per bad key (the CLI exits 2 on it)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from storage import POSTGRES_SCHEMES

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A configuration problem: names the key and the fix."""


@dataclass(frozen=True)
class DiscordConfig:
    token: str = field(default="", repr=False)  # never printed
    guild_ids: tuple[int, ...] = ()
    moderator_role_ids: tuple[int, ...] = ()
    audit_channel_id: int = 0
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    shard_count: int = 0  # 0: one unsharded connection; else the bot's total number of shards
    shard_ids: tuple[int, ...] = ()  # the shards this process runs; empty: all of shard_count

    @property
    def syncs_commands(self) -> bool:
        """Only one process syncs the slash commands: the one holding shard 0 (or the only one)."""
        return not self.shard_count or not self.shard_ids or 0 in self.shard_ids


@dataclass(frozen=True)
class StorageConfig:
    database: str = "data/factbot.sqlite3"
    seeds: str = "seeds"


@dataclass(frozen=True)
class StateConfig:
    url: str = field(default="", repr=False)  # postgresql://...; may hold a password, never printed


@dataclass(frozen=True)
class BotConfig:
    results_per_page: int = 5
    log_level: str = "INFO"
    page_timeout: float = 300.0  # seconds the Previous/Next buttons stay live


@dataclass(frozen=True)
class SearchConfig:
    meaning: bool = True  # rank by meaning beside words (sentence embeddings); false: words only


@dataclass(frozen=True)
class QuizConfig:
    answer_seconds: float = 30.0  # how long a question takes answers before it is revealed
    repeat_after: int = 50  # a fact is not asked again in a server within its last N questions


@dataclass(frozen=True)
class Config:
    discord: DiscordConfig = DiscordConfig()
    storage: StorageConfig = StorageConfig()
    bot: BotConfig = BotConfig()
    path: str | None = None
    search: SearchConfig = SearchConfig()
    state: StateConfig = StateConfig()
    quiz: QuizConfig = QuizConfig()

    @property
    def has_token(self) -> bool:
        return bool(self.discord.token)


_SCHEMA: dict[str, dict[str, type | tuple]] = {
    "discord": {
        "token": str,
        "guild_ids": list,
        "moderator_role_ids": list,
        "audit_channel_id": int,
        "api_base_url": str,
        "gateway_url": str,
        "shard_count": int,
        "shard_ids": list,
    },
    "storage": {"database": str, "seeds": str},
    "state": {"url": str},
    "bot": {"results_per_page": int, "log_level": str, "page_timeout": (int, float)},
    "search": {"meaning": bool},
    "quiz": {"answer_seconds": (int, float), "repeat_after": int},
}


def load_config(path: str | Path | None, environ: dict[str, str] | None = None) -> Config:
    """Read `path` (None: built-in defaults); DISCORD_TOKEN and FACTBOT_STATE_URL in the environment
    win over the file."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found: copy config.example.toml to {path} or drop --config")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    sections = {name: _section(data, name) for name in _SCHEMA}
    for unknown in sorted(set(data) - set(_SCHEMA)):
        home = [name for name, keys in _SCHEMA.items() if unknown in keys]
        if home and not isinstance(data[unknown], dict):  # a key written above every header
            raise ConfigError(f"{unknown} must be under a [{home[0]}] header (it is above every header)")
        raise ConfigError(f"unknown section [{unknown}]: the sections are [discord], [storage], [state], [bot], [search] and [quiz]")
    discord = sections["discord"]
    token = environ.get("DISCORD_TOKEN") or discord.get("token", "")
    config = Config(
        DiscordConfig(
            token=token.strip(),
            guild_ids=_snowflakes(discord, "guild_ids"),
            moderator_role_ids=_snowflakes(discord, "moderator_role_ids"),
            audit_channel_id=_non_negative(discord, "discord", "audit_channel_id", 0),
            api_base_url=_url(discord, "api_base_url", ("http://", "https://"), DiscordConfig.api_base_url),
            gateway_url=_url(discord, "gateway_url", ("ws://", "wss://"), DiscordConfig.gateway_url),
            **_shards(discord.get("shard_count", 0), discord.get("shard_ids", []), "discord.shard_count",
                      "discord.shard_ids"),
        ),
        StorageConfig(
            database=_text(sections["storage"], "storage", "database", StorageConfig.database),
            seeds=_text(sections["storage"], "storage", "seeds", StorageConfig.seeds),
        ),
        _bot(sections["bot"]),
        str(path) if path else None,
        search=SearchConfig(meaning=sections["search"].get("meaning", SearchConfig.meaning)),
        state=StateConfig(state_url(environ.get("FACTBOT_STATE_URL") or sections["state"].get("url", ""))),
        quiz=_quiz(sections["quiz"]),
    )
    return config


def with_shards(config: Config, shards: str | None, of: int | None) -> Config:
    """The config with the command line's --shards 0,1 --of 4 in place of [discord] shard_ids/shard_count."""
    if shards is None and of is None:
        return config
    ids: list = []
    if shards is not None:
        try:
            ids = [int(part) for part in shards.split(",")]
        except ValueError:
            raise ConfigError(f"--shards must list shard numbers like 0,1 (no spaces), not {shards!r}") from None
    count = config.discord.shard_count if of is None else of
    if shards is None:
        ids = []  # --of alone: every shard of the new count
    return replace(config, discord=replace(config.discord, **_shards(count, ids, "--of", "--shards")))


def _shards(count: int, ids: list, count_name: str, ids_name: str) -> dict[str, Any]:
    """shard_count and shard_ids checked together: ids are distinct, each below the count."""
    if count < 0:
        raise ConfigError(f"{count_name} must be 0 (not sharded) or the bot's number of shards, not {count}")
    if ids and not count:
        raise ConfigError(f"{ids_name} needs {count_name}: the total number of shards over every process")
    for shard in ids:
        if isinstance(shard, bool) or not isinstance(shard, int) or not 0 <= shard < count:
            raise ConfigError(f"{ids_name} must list shard numbers from 0 to {count - 1} ({count_name} is {count});"
                              f" found {shard!r}")
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{ids_name} names a shard twice: {ids}")
    return {"shard_count": count, "shard_ids": tuple(sorted(ids))}


def state_url(url: str, name: str = "state.url (or FACTBOT_STATE_URL)") -> str:
    """A state store URL: empty (SQLite, the default) or postgresql://..."""
    url = url.strip()
    if url and not url.startswith(POSTGRES_SCHEMES):
        # The value is not repeated: it may hold a password.
        raise ConfigError(f"{name} must be empty (SQLite, the default) or a PostgreSQL URL like "
                          "postgresql://user:password@host:5432/factbot")
    return url


_SECRET = frozenset({"token", "url"})  # a Discord token; a state URL may hold a password


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"[{name}] must be a table (a [{name}] header followed by keys)")
    for key, value in section.items():
        if key not in _SCHEMA[name]:
            known = ", ".join(_SCHEMA[name])
            raise ConfigError(f"unknown key {name}.{key}: the keys of [{name}] are {known}")
        expected = _SCHEMA[name][key]
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            kind = expected.__name__ if isinstance(expected, type) else "number"
            shown = "a value of another kind" if key in _SECRET else repr(value)  # never print a token
            raise ConfigError(f"{name}.{key} must be a {_kind(kind)}, not {shown}")
    return section


def _kind(name: str) -> str:
    return {"str": "string in quotes", "int": "whole number", "list": "list like [123, 456]",
            "bool": "true or false"}.get(name, name)


def _snowflakes(section: dict[str, Any], key: str) -> tuple[int, ...]:
    values = section.get(key, [])
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(
                f"discord.{key} must list Discord ids as numbers without quotes, like [123456789012345678]; found {value!r}"
            )
    return tuple(values)


def _non_negative(section: dict[str, Any], name: str, key: str, default: int) -> int:
    value = section.get(key, default)
    if value < 0:
        raise ConfigError(f"{name}.{key} must be 0 or a Discord id, not {value}")
    return value


def _url(section: dict[str, Any], key: str, schemes: tuple[str, ...], default: str) -> str:
    value = section.get(key, default).strip()
    if not value.startswith(schemes):
        raise ConfigError(f"discord.{key} must start with {' or '.join(schemes)}; the default is {default!r}")
    return value


def _text(section: dict[str, Any], name: str, key: str, default: str) -> str:
    value = section.get(key, default).strip()
    if not value:
        raise ConfigError(f"{name}.{key} must not be empty; the default is {default!r}")
    return value


def _bot(section: dict[str, Any]) -> BotConfig:
    per_page = section.get("results_per_page", BotConfig.results_per_page)
    if not 1 <= per_page <= 10:
        raise ConfigError(f"bot.results_per_page must be from 1 to 10 (one embed field per fact), not {per_page}")
    level = section.get("log_level", BotConfig.log_level).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"bot.log_level must be one of {', '.join(LOG_LEVELS)}, not {section['log_level']!r}")
    timeout = float(section.get("page_timeout", BotConfig.page_timeout))
    if not 10 <= timeout <= 840:
        raise ConfigError("bot.page_timeout must be from 10 to 840 seconds (an interaction lives 15 minutes)")
    return BotConfig(per_page, level, timeout)


def _quiz(section: dict[str, Any]) -> QuizConfig:
    seconds = float(section.get("answer_seconds", QuizConfig.answer_seconds))
    if not 5 <= seconds <= 840:
        raise ConfigError("quiz.answer_seconds must be from 5 to 840 seconds (an interaction lives 15 minutes)")
    repeat = section.get("repeat_after", QuizConfig.repeat_after)
    if not 0 <= repeat <= 10_000:
        raise ConfigError(f"quiz.repeat_after must be from 0 to 10000 questions, not {repeat}")
    return QuizConfig(seconds, repeat)
