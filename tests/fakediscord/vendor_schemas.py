"""Vendor the request-body schemas the tests check from Discord's official OpenAPI spec.

Run from the repository root when ../shared/discord-api-spec/openapi.json changes:
    python tests/fakediscord/vendor_schemas.py ../shared/discord-api-spec/openapi.json
It writes discord_api_schemas.json beside this file: each checked operation's JSON request schema
plus every component schema they reference, unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OPERATIONS = {
    "interaction_callback": ("post", "/interactions/{interaction_id}/{interaction_token}/callback"),
    "followup": ("post", "/webhooks/{webhook_id}/{webhook_token}"),
    "edit_original": ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    "edit_message": ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    "sync_global": ("put", "/applications/{application_id}/commands"),
    "sync_guild": ("put", "/applications/{application_id}/guilds/{guild_id}/commands"),
    "channel_message": ("post", "/channels/{channel_id}/messages"),
}


def _refs(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    operations = {}
    for name, (method, path) in OPERATIONS.items():
        operations[name] = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    components = spec["components"]["schemas"]
    needed: set[str] = set()
    _refs(operations, needed)
    done: set[str] = set()
    while needed - done:
        name = sorted(needed - done)[0]
        done.add(name)
        _refs(components[name], needed)
    out = {
        "origin": f"Discord OpenAPI spec {spec['info'].get('version')} ({spec.get('openapi')}), "
                  "shared/discord-api-spec/openapi.json; request bodies of the operations below, unchanged",
        "operations": {name: {"method": m, "path": p} for name, (m, p) in OPERATIONS.items()},
        "requests": operations,
        "components": {"schemas": {name: components[name] for name in sorted(done)}},
    }
    target = Path(__file__).with_name("discord_api_schemas.json")
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(done)} component schemas)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/discord-api-spec/openapi.json")
