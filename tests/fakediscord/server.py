"""A fake Discord on 127.0.0.1: REST + gateway, enough for the real discord.py client to log in,
sync commands and answer interactions. Every request body is recorded and checked against
Discord's official OpenAPI schemas (discord_api_schemas.json); a body Discord would reject is
recorded as a violation, which the tests assert are absent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
SCHEMAS = json.loads(Path(__file__).with_name("discord_api_schemas.json").read_text(encoding="utf-8"))


def _validator(operation: str) -> jsonschema.protocols.Validator:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMAS["requests"][operation],
              "components": SCHEMAS["components"]}
    return jsonschema.Draft202012Validator(schema)


VALIDATORS = {name: _validator(name) for name in SCHEMAS["requests"]}


@dataclass
class Recorded:
    kind: str
    method: str
    path: str
    body: Any
    at: float
    interaction_id: str | None = None
    operation: str | None = None  # the schema its body must satisfy
    message_id: str | None = None  # the message it created (a callback of type 4 or 5, a followup)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, content) of a multipart upload


@dataclass
class Connection:
    """One gateway websocket and the shard it identified (or resumed) as."""

    ws: web.WebSocketResponse
    shard: tuple[int, int] | None = None  # (shard id, shard count); None until IDENTIFY or RESUME
    sequence: int = 0


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


@dataclass
class Fault:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class FakeDiscord:
    """REST under /api/v10 and a gateway at /gateway, one bot user, a few guilds."""

    APP_ID = "1100000000000000001"
    BOT_ID = "1100000000000000002"

    def __init__(self, guilds: dict[int, list[dict]] | None = None) -> None:
        self.guilds = guilds or {}  # guild id -> its roles
        self.requests: list[Recorded] = []
        self._violations: list[str] = []
        self._checked = 0
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.messages: dict[str, dict] = {}
        self.originals: dict[str, str] = {}  # interaction token -> original message id
        self._loading: dict[str, bool] = {}  # interaction token -> ephemeral, while its deferred message awaits a followup
        self.commands: dict[str, list[dict]] = {}
        self._counter = itertools.count(1)
        self._live: list[Connection] = []  # open gateway connections
        self._sessions: dict[str, tuple[int, int]] = {}  # session id -> the shard it was identified as
        self.shard_count = 1  # from the latest IDENTIFY; guilds are routed by it
        self.identified_shards: list[tuple[int, int]] = []  # every IDENTIFY's (shard id, count), in order
        self.deliveries: list[tuple[str, int, tuple[int, int]]] = []  # (interaction id, guild, shard it went to)
        self.connections = 0
        self.identifies = 0
        self.resumes = 0
        self.identified = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        r = app.router
        r.add_get("/api/v10/users/@me", self._me)
        r.add_get("/api/v10/oauth2/applications/@me", self._application)
        r.add_put("/api/v10/applications/{app}/commands", self._sync)
        r.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self._sync)
        r.add_post("/api/v10/interactions/{id}/{token}/callback", self._callback)
        r.add_post("/api/v10/webhooks/{app}/{token}", self._followup)
        r.add_get("/api/v10/webhooks/{app}/{token}/messages/{message}", self._get_message)
        r.add_patch("/api/v10/webhooks/{app}/{token}/messages/{message}", self._edit)
        r.add_post("/api/v10/channels/{channel}/messages", self._channel_message)
        r.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for connection in list(self._live):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def snowflake(self) -> str:
        return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) + next(self._counter) % 4096)

    # -- recording ----------------------------------------------------------------------------

    @property
    def violations(self) -> list[str]:
        """Every recorded body Discord's schema rejects (checked lazily, off the hot path)."""
        for recorded in self.requests[self._checked:]:
            if recorded.operation is not None:
                for error in VALIDATORS[recorded.operation].iter_errors(recorded.body):
                    self._violations.append(
                        f"{recorded.kind} {recorded.path}: {error.message} at {list(error.absolute_path)}")
        self._checked = len(self.requests)
        return self._violations

    async def _record(self, kind: str, request: web.Request, body: Any, operation: str | None,
                      interaction_id: str | None = None, files: list[tuple[str, bytes]] | None = None) -> Fault | None:
        self.requests.append(Recorded(kind, request.method, request.path, body, time.monotonic(), interaction_id,
                                      operation, files=files or []))
        async with self._changed:
            self._changed.notify_all()
        return self.faults[kind].pop(0) if self.faults[kind] else None

    def _created(self, body: Any, message: dict) -> None:
        """Note on the request that sent `body` which message it created."""
        next(r for r in reversed(self.requests) if r.body is body).message_id = message["id"]

    def fail_next(self, kind: str, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        """Answer the next request of `kind` (callback, followup, edit, channel_message) with an error."""
        self.faults[kind].append(Fault(status, body or {"message": "fault", "code": 0}, headers or {}))

    def of_kind(self, kind: str, interaction_id: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind and (interaction_id is None or r.interaction_id == interaction_id)]

    async def wait_for(self, predicate, timeout: float = 10.0) -> list[Recorded]:
        """Wait until predicate(requests) is true; returns the requests."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.requests)), timeout)
        return self.requests

    # -- REST ---------------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
        # Exactly application/json: discord.py reads a charset-suffixed type as text.
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={"Content-Type": "application/json", **(headers or {})})

    def _fault_response(self, fault: Fault) -> web.Response:
        return self._json(fault.body, fault.status, fault.headers)

    def user(self) -> dict:
        return {"id": self.BOT_ID, "username": "factbot", "discriminator": "0", "avatar": None, "bot": True,
                "global_name": None, "flags": 0}

    async def _me(self, request: web.Request) -> web.Response:
        return self._json(self.user())

    async def _application(self, request: web.Request) -> web.Response:
        return self._json({
            "id": self.APP_ID, "name": "factbot", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
            "owner": {"id": "1100000000000000009", "username": "owner", "discriminator": "0", "avatar": None},
        })

    async def _sync(self, request: web.Request) -> web.Response:
        body = await request.json()
        guild = request.match_info.get("guild")
        await self._record("sync", request, body, "sync_guild" if guild else "sync_global")
        answered = []
        for command in body:
            answered.append({"description": "", **command, "id": self.snowflake(), "application_id": self.APP_ID, "version": "1",
                             "default_member_permissions": command.get("default_member_permissions"),
                             "type": command.get("type", 1), **({"guild_id": guild} if guild else {})})
        self.commands[guild or "global"] = answered
        return self._json(answered)

    def message(self, body: dict, channel_id: str = "1200000000000000001", **extra: Any) -> dict:
        message_id = self.snowflake()
        data = {
            "id": message_id, "channel_id": channel_id, "author": self.user(), "content": body.get("content") or "",
            "timestamp": now_iso(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [],
            "pinned": False, "type": 0, "flags": body.get("flags") or 0, "components": body.get("components") or [],
            "application_id": self.APP_ID, **extra,
        }
        self.messages[message_id] = data
        return data

    @staticmethod
    async def _body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        """A JSON body, or a multipart/form-data one as Discord takes uploads: the JSON in the
        `payload_json` part (checked like a JSON body) and each file in a `files[n]` part."""
        if not request.content_type.startswith("multipart/"):
            return await request.json(), []
        body: Any = None
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":
                body = json.loads(await part.text())
                # discord.py numbers its uploads with integer ids (0, 1, ...) where the schema says
                # a snowflake string; Discord takes both, so only the type is aligned before the check.
                # A response carries its message under "data", a followup at the top.
                for attachment in (body.get("data") or body).get("attachments") or []:
                    attachment["id"] = str(attachment["id"])
            elif part.name and part.name.startswith("files["):
                files.append((part.filename or "", bytes(await part.read())))
        return body, files

    async def _callback(self, request: web.Request) -> web.Response:
        interaction_id, token = request.match_info["id"], request.match_info["token"]
        body, files = await self._body(request)
        fault = await self._record("callback", request, body, "interaction_callback", interaction_id, files)
        if fault:
            return self._fault_response(fault)
        kind = body.get("type")
        data = body.get("data") or {}
        answer: dict = {"interaction": {"id": interaction_id, "type": 2}}
        if kind in (4, 5):
            message = self.message(data)
            self.originals[token] = message["id"]
            if kind == 5:
                self._loading[token] = bool((data.get("flags") or 0) & 64)
            self._created(body, message)
            answer["interaction"].update(response_message_id=message["id"], response_message_loading=kind == 5,
                                         response_message_ephemeral=bool((data.get("flags") or 0) & 64))
            answer["resource"] = {"type": kind, "message": message}
        elif kind == 7:
            answer["resource"] = {"type": 7}
        return self._json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        token = request.match_info["token"]
        fault = await self._record("followup", request, body, "followup", self._interaction_of(token), files)
        if fault:
            return self._fault_response(fault)
        if token in self._loading:
            # Discord: the first followup after a defer replaces the "thinking" message and keeps
            # its visibility, whatever flags it asks for; a private notice after a public defer is public.
            loading, asked = self._loading.pop(token), bool((body.get("flags") or 0) & 64)
            if asked != loading:
                self._violations.append(
                    f"followup {request.path}: asks ephemeral={asked} but replaces a deferred message that is "
                    f"ephemeral={loading}, so it will be shown {'privately' if loading else 'publicly'}")
        attachments = [{"id": self.snowflake(), "filename": name, "size": len(data), "url": f"{self.api_url}/files/{name}",
                        "proxy_url": f"{self.api_url}/files/{name}"} for name, data in files]
        message = self.message(body, webhook_id=self.APP_ID, attachments=attachments)
        self._created(body, message)
        return self._json(message)

    async def _get_message(self, request: web.Request) -> web.Response:
        message_id = self._message_id(request)
        return self._json(self.messages.get(message_id) or self.message({}))

    async def _edit(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.match_info["token"]
        fault = await self._record("edit", request, body, "edit_original", self._interaction_of(token))
        if fault:
            return self._fault_response(fault)
        message_id = self._message_id(request)
        message = self.messages.get(message_id) or self.message({})
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags")})
        message["edited_timestamp"] = now_iso()
        return self._json(message)

    async def _channel_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        fault = await self._record("channel_message", request, body, "channel_message")
        if fault:
            return self._fault_response(fault)
        return self._json(self.message(body, channel_id=request.match_info["channel"]))

    def _message_id(self, request: web.Request) -> str:
        message = request.match_info["message"]
        return self.originals.get(request.match_info["token"], "") if message == "@original" else message

    @staticmethod
    def _interaction_of(token: str) -> str | None:
        return token.removeprefix("token-") if token.startswith("token-") else None

    # -- gateway ------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection(ws)
        self._live.append(connection)
        self.connections += 1
        try:
            await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op = payload.get("op")
                if op == 1:
                    await ws.send_json({"op": 11})
                elif op == 2:
                    self.identifies += 1
                    shard_id, count = payload["d"].get("shard") or (0, 1)
                    connection.shard = (shard_id, count)
                    self.shard_count = count
                    self.identified_shards.append(connection.shard)
                    await self._ready(connection)
                elif op == 6:
                    self.resumes += 1
                    connection.shard = self._sessions.get(payload["d"].get("session_id"), (0, 1))
                    await self._send(connection, "RESUMED", {})
                    await self._connected()
        finally:
            self._live.remove(connection)
            async with self._changed:
                self._changed.notify_all()
        return ws

    async def _connected(self) -> None:
        self.identified.set()
        async with self._changed:
            self._changed.notify_all()

    async def _send(self, connection: Connection, event: str, data: dict) -> None:
        connection.sequence += 1
        await connection.ws.send_json({"op": 0, "t": event, "s": connection.sequence, "d": data})

    async def _ready(self, connection: Connection) -> None:
        shard_id, count = connection.shard
        session_id = f"session-{self.identifies}"
        self._sessions[session_id] = connection.shard
        guilds = [g for g in self.guilds if shard_of(g, count) == shard_id]
        await self._send(connection, "READY", {
            "v": 10, "user": self.user(), "session_id": session_id, "shard": [shard_id, count],
            "resume_gateway_url": self.gateway_url, "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "application": {"id": self.APP_ID, "flags": 0}, "private_channels": [], "relationships": [],
        })
        for guild_id in guilds:
            await self._send(connection, "GUILD_CREATE", {
                "id": str(guild_id), "name": f"guild {guild_id}", "icon": None, "owner_id": "1100000000000000009",
                "roles": self.guilds[guild_id], "emojis": [], "stickers": [], "features": [], "member_count": 3,
                "members": [],
                "channels": [{"id": "1200000000000000001", "type": 0, "name": "study", "position": 0,
                              "permission_overwrites": [], "guild_id": str(guild_id)}],
                "threads": [], "voice_states": [], "presences": [], "large": False, "unavailable": False,
                "joined_at": now_iso(), "verification_level": 0, "default_message_notifications": 0,
                "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
                "system_channel_id": None, "afk_timeout": 300, "nsfw_level": 0,
            })
        await self._connected()

    def connection_for(self, guild_id: int) -> Connection:
        """The live connection of the shard that serves `guild_id` (exactly one, or an error)."""
        shard = (shard_of(guild_id, self.shard_count), self.shard_count)
        serving = [c for c in self._live if c.shard == shard and not c.ws.closed]
        if len(serving) != 1:
            raise RuntimeError(f"{len(serving)} gateway connections serve shard {shard} (guild {guild_id})")
        return serving[0]

    def live_shards(self) -> list[tuple[int, int]]:
        return sorted(c.shard for c in self._live if c.shard is not None and not c.ws.closed)

    async def wait_for_shards(self, shards: list[tuple[int, int]], timeout: float = 30.0) -> None:
        """Wait until exactly these (shard id, count) pairs are connected and identified."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.live_shards() == sorted(shards)), timeout)

    async def dispatch(self, event: str, data: dict) -> None:
        """Send an event on the connection of the shard serving its guild, as Discord does."""
        guild_id = int(data.get("guild_id", 0))  # direct messages go to shard 0, as on Discord
        connection = self.connection_for(guild_id)
        if event == "INTERACTION_CREATE":
            self.deliveries.append((data["id"], guild_id, connection.shard))
        await self._send(connection, event, data)

    async def drop_connection(self, code: int = 4000) -> None:
        """Close every gateway websocket as Discord does on a failure (a resumable close code)."""
        self.identified.clear()
        for connection in list(self._live):
            await connection.ws.close(code=code)

    # -- interactions -------------------------------------------------------------------------

    def interaction(
        self,
        name: str,
        options: list[dict] | None = None,
        *,
        kind: int = 2,
        guild_id: int | None,
        user_id: int = 1300000000000000001,
        roles: list[int] | None = None,
        permissions: int = 1 << 11 | 1 << 10 | 1 << 31,  # send messages, view channel, use app commands
        message: dict | None = None,
        custom_id: str | None = None,
    ) -> dict:
        """An INTERACTION_CREATE payload; kind 2 command, 4 autocomplete, 3 component."""
        interaction_id = self.snowflake()
        user = {"id": str(user_id), "username": f"user{user_id % 1000}", "discriminator": "0", "avatar": None,
                "global_name": None}
        data: dict
        if kind == 3:
            data = {"custom_id": custom_id, "component_type": 2}
        else:
            command_id = next((c["id"] for c in self.commands.get(str(guild_id), []) + self.commands.get("global", [])
                               if c["name"] == name), self.snowflake())
            data = {"id": command_id, "name": name, "type": 1, "options": options or [], "guild_id": str(guild_id)}
        payload = {
            "id": interaction_id, "application_id": self.APP_ID, "type": kind, "token": f"token-{interaction_id}",
            "version": 1, "attachment_size_limit": 8 * 1024 * 1024, "guild_id": str(guild_id),
            "channel_id": "1200000000000000001",
            "channel": {"id": "1200000000000000001", "type": 0, "name": "study", "guild_id": str(guild_id),
                        "position": 0, "permission_overwrites": []},
            "member": {"user": user, "roles": [str(r) for r in roles or []], "flags": 0, "permissions": str(permissions),
                       "joined_at": now_iso(), "deaf": False, "mute": False, "pending": False, "nick": None,
                       "avatar": None},
            "data": data, "locale": "en-US", "guild_locale": "en-US", "app_permissions": str((1 << 40) - 1),
            "entitlements": [], "authorizing_integration_owners": {"0": str(guild_id)}, "context": 0,
        }
        if message is not None:
            payload["message"] = message
        if guild_id is None:  # a direct message: a user, no member, no guild
            for key in ("guild_id", "member", "guild_locale"):
                payload.pop(key)
            payload["data"].pop("guild_id", None)
            payload["user"] = user
            payload["channel"] = {"id": "1200000000000000009", "type": 1, "recipients": [user]}
            payload["channel_id"] = "1200000000000000009"
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
        return payload

    def message_command(self, name: str, target: dict, **kwargs: Any) -> dict:
        """A message command (data.type 3) used on `target`, a message object (see chat_message)."""
        payload = self.interaction(name, **kwargs)
        payload["data"].pop("options")
        payload["data"].update(type=3, target_id=target["id"], resolved={"messages": {target["id"]: target}})
        return payload

    def component(self, message: dict, custom_id: str, *, values: list[str] | None = None, **kwargs: Any) -> dict:
        """A press on a button of `message`, or with `values` a choice in a string select."""
        payload = self.interaction("", kind=3, message=message, custom_id=custom_id, **kwargs)
        if values is not None:
            payload["data"].update(component_type=3, values=values)
        return payload

    def chat_message(self, content: str, *, author_id: int = 1300000000000000004, embeds: list[dict] | None = None,
                     attachments: list[dict] | None = None, channel_id: str = "1200000000000000001") -> dict:
        """A message a member posted (not the bot's), as Discord sends it in `resolved.messages`."""
        author = {"id": str(author_id), "username": f"user{author_id % 1000}", "discriminator": "0", "avatar": None,
                  "global_name": None}
        message = self.message({"content": content, "embeds": embeds or []}, channel_id=channel_id, author=author,
                               attachments=attachments or [])
        message.pop("application_id")
        return message

    async def send_interaction(self, payload: dict) -> str:
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["id"]
