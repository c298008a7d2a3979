"""The development realm (deploy/keycloak/realm-safeguard.json) with this stack's values in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safeguard.stack.errors import StackError

REALM_FILE = Path(__file__).resolve().parents[2] / "deploy" / "keycloak" / "realm-safeguard.json"
REALM = "safeguard"
WEB_CLIENT_ID = "safeguard-web"
# Every development user's password: public, like the users themselves.
DEV_PASSWORD = "dev-password"  # noqa: S105 - development only, printed by `safeguard run`
# Placeholders in the realm file; Maven-style so Keycloak's own ${...} lookup leaves them alone.
WEB_BASE = "@SAFEGUARD_WEB_BASE@"
WEB_CLIENT_SECRET = "@SAFEGUARD_WEB_CLIENT_SECRET@"  # noqa: S105 - a placeholder's name


@dataclass(frozen=True)
class DevUser:
    """A development user of the realm, as `safeguard run` lists them."""

    username: str
    name: str
    roles: tuple[str, ...]


def render_realm(*, web_base: str, client_secret: str) -> str:
    """The realm file as JSON text with the web client's base URL and secret filled in."""
    values = {WEB_BASE: web_base.rstrip("/"), WEB_CLIENT_SECRET: client_secret}
    rendered = _substitute(_load(), values)
    text = json.dumps(rendered, indent=2) + "\n"
    if "@SAFEGUARD_" in text:
        raise StackError(f"{REALM_FILE} has a placeholder the stack does not fill in")
    return text


def development_users() -> list[DevUser]:
    """The realm file's people, in file order (not the services' accounts: nobody signs in
    as those)."""
    users: list[dict[str, Any]] = _load().get("users", [])
    return [
        DevUser(
            username=user["username"],
            name=f"{user.get('firstName', '')} {user.get('lastName', '')}".strip(),
            roles=tuple(user.get("realmRoles", [])),
        )
        for user in users
        if "serviceAccountClientId" not in user
    ]


def _load() -> dict[str, Any]:
    realm: dict[str, Any] = json.loads(REALM_FILE.read_text())
    return realm


def _substitute(node: Any, values: dict[str, str]) -> Any:
    """`node` with every placeholder in its strings replaced (the JSON stays well formed)."""
    if isinstance(node, str):
        for placeholder, value in values.items():
            node = node.replace(placeholder, value)
        return node
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    return node
