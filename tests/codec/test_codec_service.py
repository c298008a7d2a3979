"""The codec service speaks Temporal's codec-server protocol to staff who may read cases."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.codes import Role
from safeguard.db.pool import create_pool
from safeguard.settings import Settings
from services.codec.app import create_app
from tests.servers import serve

UI_ORIGIN = "https://temporal.safeguard.example"
PLAIN = {
    "payloads": [
        {
            "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
            "data": base64.b64encode(b'{"stage": "CLOSED"}').decode(),
        }
    ]
}


class Codec:
    """The served codec service and a way to mint staff tokens for it."""

    def __init__(self, url: str, http: httpx.AsyncClient, key: dict[str, Any]) -> None:
        self.url, self.http, self._key = url, http, key

    def headers(self, role: Role) -> dict[str, str]:
        token = mint(
            self._key,
            principal=StaffPrincipal(subject=f"{role}-1", role=role),
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}", "X-Namespace": "prevent"}

    async def post(self, path: str, body: object, role: Role | None) -> httpx.Response:
        headers = self.headers(role) if role else {}
        return await self.http.post(f"{self.url}/codec/{path}", json=body, headers=headers)


@pytest.fixture
async def codec(settings: Settings, tmp_path: Path) -> AsyncIterator[Codec]:
    key = development_signing_key(tmp_path)
    served = settings.model_copy(
        update={
            "staff_jwks": SecretStr(json.dumps(public_key_set(key))),
            "codec_cors_origins": [UI_ORIGIN],
        }
    )
    async with serve(create_app(served)) as url, httpx.AsyncClient(timeout=30) as http:
        yield Codec(url, http, key)


async def test_encode_then_decode_round_trips_and_the_ciphertext_hides_the_content(
    codec: Codec,
) -> None:
    encoded = await codec.post("encode", PLAIN, Role.CHANNEL_CHAIR)
    assert encoded.status_code == 200, encoded.text
    sealed = encoded.json()["payloads"][0]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"CLOSED" not in base64.b64decode(sealed["data"])

    decoded = await codec.post("decode", encoded.json(), Role.AUDITOR)
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == PLAIN


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 401),
        (Role.OPERATOR, 403),
        (Role.PANEL_MEMBER, 403),
        (Role.PREVENT_OFFICER, 200),
        (Role.CHANNEL_CHAIR, 200),
        (Role.AUDITOR, 200),
    ],
)
async def test_only_staff_who_read_cases_may_decode(
    codec: Codec, role: Role | None, status: int
) -> None:
    encoded = (await codec.post("encode", PLAIN, Role.AUDITOR)).json()
    assert (await codec.post("decode", encoded, role)).status_code == status


async def test_each_decode_is_in_the_access_log(codec: Codec, settings: Settings) -> None:
    encoded = (await codec.post("encode", PLAIN, Role.AUDITOR)).json()
    assert (await codec.post("decode", encoded, Role.PREVENT_OFFICER)).status_code == 200
    pool = await create_pool(settings)
    try:
        row = await pool.fetchrow(
            "SELECT subject, role, purpose FROM audit.access_log WHERE service = 'codec'"
        )
    finally:
        await pool.close()
    assert row is not None
    assert (row["subject"], row["role"]) == ("prevent_officer-1", "prevent_officer")
    assert row["purpose"] == "Temporal Web UI, namespace prevent"


async def test_a_payload_that_is_not_ours_is_refused_not_passed_off(codec: Codec) -> None:
    encoded = (await codec.post("encode", PLAIN, Role.AUDITOR)).json()
    sealed = encoded["payloads"][0]
    sealed["data"] = base64.b64encode(b"\0" * 40).decode()
    assert (await codec.post("decode", encoded, Role.AUDITOR)).status_code == 422
    assert (await codec.post("decode", {"payloads": "nope"}, Role.AUDITOR)).status_code == 422


async def test_the_web_ui_origin_may_call_from_the_browser_and_no_other(codec: Codec) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        }

    allowed = await codec.http.options(f"{codec.url}/codec/decode", headers=preflight(UI_ORIGIN))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    other = await codec.http.options(
        f"{codec.url}/codec/decode", headers=preflight("https://elsewhere.example")
    )
    assert "access-control-allow-origin" not in other.headers
