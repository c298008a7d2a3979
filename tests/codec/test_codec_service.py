"""The codec service decodes for auditors only, case by case, within their areas."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf.json_format import MessageToDict
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import WorkflowSerializationContext

from safeguard.audit.cases import handle_event
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.codes import Role, Stage
from safeguard.db.pool import Pool, create_pool
from safeguard.events import contracts as ev
from safeguard.settings import Settings
from safeguard.temporal import codec_for
from services.codec.app import create_app
from tests.keycloak_server import KeycloakServer, RealmClient, sign_in
from tests.servers import serve

UI_ORIGIN = "https://temporal.safeguard.example"
CAMDEN, LEEDS = "E09000007", "E08000035"
GATEWAY = {
    "actor": {"id": "officer-17", "role": "prevent_officer"},
    "outcome": "REFERRED_TO_CHANNEL",
    "reasons": "Concerning online activity.",
    "deconfliction": "live_interest",
    "database_checks": "PNC: a record.",
    "detail": {"decisions": [{"deconfliction": "live_interest", "kept": 1}]},
}
PLAIN = {
    "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
    "data": base64.b64encode(b'"CLOSED"').decode(),
}


class Codec:
    """The served codec service, a database pool, and cases whose payloads it may decode."""

    def __init__(
        self, url: str, http: httpx.AsyncClient, key: dict[str, Any], settings: Settings
    ) -> None:
        self.url, self.http, self._key, self.settings = url, http, key, settings

    def headers(self, role: Role, areas: tuple[str, ...] = ()) -> dict[str, str]:
        token = mint(
            self._key,
            principal=StaffPrincipal(subject=f"{role}-1", role=role, areas=areas),
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}", "X-Namespace": "prevent"}

    async def decode(
        self, body: object, role: Role | None = Role.AUDITOR, areas: tuple[str, ...] = ()
    ) -> httpx.Response:
        headers = self.headers(role, areas) if role else {}
        return await self.http.post(f"{self.url}/codec/decode", json=body, headers=headers)


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
        yield Codec(url, http, key, settings)


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()


class Case:
    """A case the audit store knows, as the lifecycle events told it."""

    def __init__(self, area: str) -> None:
        self.referral_id = uuid.uuid4()
        self.reference = f"PRV-2026-{self.referral_id.int % 1_000_000:06d}"
        self.workflow_id = f"referral-{self.reference}"
        self.area = area

    async def event(self, pool: Pool, event: ev.DomainEvent, at: dt.datetime) -> None:
        envelope = event.envelope(event_id=uuid.uuid4(), source="test", time=at)
        async with pool.acquire() as conn, conn.transaction():
            await handle_event(conn, envelope)

    def submitted(self) -> ev.ReferralSubmitted:
        return ev.ReferralSubmitted(
            referral_id=self.referral_id,
            reference=self.reference,
            stage=Stage.GATEWAY_ASSESSMENT,
            area=self.area,
            sector="education",
            concern_type="other",
        )

    def transferred(self, to_area: str) -> ev.CaseTransferred:
        return ev.CaseTransferred(
            referral_id=self.referral_id,
            reference=self.reference,
            stage=Stage.GATEWAY_ASSESSMENT,
            area=to_area,
            actor_role=Role.CHANNEL_CHAIR,
            from_area=self.area,
            to_area=to_area,
        )


async def known_case(pool: Pool, area: str) -> Case:
    case = Case(area)
    await case.event(pool, case.submitted(), dt.datetime.now(dt.UTC))
    return case


async def sealed(settings: Settings, workflow_id: str | None, *values: object) -> dict[str, Any]:
    """`values` as the worker writes them for `workflow_id` (None: before payloads were bound)."""
    codec = codec_for(settings)
    if workflow_id is not None:
        codec = codec.with_context(WorkflowSerializationContext("prevent", workflow_id))
    plain = pydantic_data_converter.payload_converter.to_payloads(list(values))
    return {"payloads": [MessageToDict(p) for p in await codec.encode(plain)]}


def values(response: httpx.Response) -> list[Any]:
    payloads = [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p["metadata"].items()},
            data=base64.b64decode(p["data"]),
        )
        for p in response.json()["payloads"]
    ]
    return [json.loads(p.data) for p in payloads]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 401),
        (Role.OPERATOR, 403),
        (Role.PANEL_MEMBER, 403),
        (Role.PREVENT_OFFICER, 403),
        (Role.CHANNEL_CHAIR, 403),
        (Role.AUDITOR, 200),
    ],
)
async def test_only_auditors_may_decode(
    codec: Codec, pool: Pool, role: Role | None, status: int
) -> None:
    case = await known_case(pool, CAMDEN)
    body = await sealed(codec.settings, case.workflow_id, {"stage": "CLOSED"})
    response = await codec.decode(body, role, areas=(CAMDEN,))
    assert response.status_code == status, response.text
    if status == 200:
        assert values(response) == [{"stage": "CLOSED"}]


async def test_an_auditor_decodes_only_cases_in_their_areas(codec: Codec, pool: Pool) -> None:
    camden, leeds = await known_case(pool, CAMDEN), await known_case(pool, LEEDS)
    both = await sealed(codec.settings, camden.workflow_id, "camden")
    both["payloads"] += (await sealed(codec.settings, leeds.workflow_id, "leeds"))["payloads"]

    assert (await codec.decode(both, areas=(CAMDEN, LEEDS))).status_code == 200
    assert (await codec.decode(both)).status_code == 200  # no areas: national oversight
    refused = await codec.decode(both, areas=(CAMDEN,))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Case not in your scope"
    assert "camden" not in refused.text


async def test_the_scope_follows_the_case_to_its_new_area(codec: Codec, pool: Pool) -> None:
    case = await known_case(pool, CAMDEN)
    body = await sealed(codec.settings, case.workflow_id, "x")
    now = dt.datetime.now(dt.UTC)
    await case.event(pool, case.transferred(LEEDS), now + dt.timedelta(minutes=1))
    # A redelivered older event does not move the case back.
    await case.event(pool, case.submitted(), now)
    assert (await codec.decode(body, areas=(CAMDEN,))).status_code == 403
    assert (await codec.decode(body, areas=(LEEDS,))).status_code == 200


async def test_a_case_the_audit_store_does_not_know_is_refused(codec: Codec) -> None:
    body = await sealed(codec.settings, "referral-PRV-2026-999999", "x")
    assert (await codec.decode(body)).status_code == 403


async def test_payloads_bound_to_no_case_are_refused(codec: Codec) -> None:
    response = await codec.decode(await sealed(codec.settings, None, "x"))
    assert response.status_code == 403
    assert response.json()["title"] == "Payload not attributable"


async def test_a_payload_moved_to_another_case_fails_authentication(
    codec: Codec, pool: Pool
) -> None:
    theirs, mine = await known_case(pool, LEEDS), await known_case(pool, CAMDEN)
    body = await sealed(codec.settings, theirs.workflow_id, "leeds")
    metadata = body["payloads"][0]["metadata"]
    metadata["workflow-id"] = base64.b64encode(mine.workflow_id.encode()).decode()
    response = await codec.decode(body, areas=(CAMDEN,))
    assert response.status_code == 422
    assert response.json()["title"] == "Undecryptable payload"


async def test_police_only_fields_are_withheld_wherever_they_sit(codec: Codec, pool: Pool) -> None:
    case = await known_case(pool, CAMDEN)
    response = await codec.decode(await sealed(codec.settings, case.workflow_id, GATEWAY))
    assert response.status_code == 200
    [shown] = values(response)
    assert "deconfliction" not in json.dumps(shown)
    assert "database_checks" not in shown
    assert "PNC" not in response.text
    assert shown["reasons"] == GATEWAY["reasons"]
    assert shown["detail"] == {"decisions": [{"kept": 1}]}


async def test_each_case_decoded_is_in_the_access_log(codec: Codec, pool: Pool) -> None:
    camden, leeds = await known_case(pool, CAMDEN), await known_case(pool, LEEDS)
    body = await sealed(codec.settings, camden.workflow_id, "a", "b")
    body["payloads"] += (await sealed(codec.settings, leeds.workflow_id, "c"))["payloads"]
    assert (await codec.decode(body)).status_code == 200
    rows = await pool.fetch(
        "SELECT subject, role, referral_id, fields, purpose FROM audit.access_log"
        " WHERE service = 'codec' ORDER BY fields"
    )
    assert [dict(row) for row in rows] == [
        {
            "subject": "auditor-1",
            "role": "auditor",
            "referral_id": leeds.referral_id,
            "fields": ["temporal.payloads:1"],
            "purpose": "Temporal Web UI, namespace prevent",
        },
        {
            "subject": "auditor-1",
            "role": "auditor",
            "referral_id": camden.referral_id,
            "fields": ["temporal.payloads:2"],
            "purpose": "Temporal Web UI, namespace prevent",
        },
    ]


async def test_a_refused_decode_logs_nothing(codec: Codec, pool: Pool) -> None:
    case = await known_case(pool, LEEDS)
    body = await sealed(codec.settings, case.workflow_id, "x")
    assert (await codec.decode(body, areas=(CAMDEN,))).status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM audit.access_log") == 0


async def test_payloads_never_encrypted_come_back_as_sent(codec: Codec, pool: Pool) -> None:
    response = await codec.decode({"payloads": [PLAIN]})
    assert response.status_code == 200
    assert response.json() == {"payloads": [PLAIN]}
    assert await pool.fetchval("SELECT count(*) FROM audit.access_log") == 0


async def test_what_is_not_ours_is_refused_not_passed_off(codec: Codec, pool: Pool) -> None:
    case = await known_case(pool, CAMDEN)
    body = await sealed(codec.settings, case.workflow_id, "x")
    body["payloads"][0]["data"] = base64.b64encode(b"\0" * 40).decode()
    assert (await codec.decode(body)).status_code == 422
    assert (await codec.decode({"payloads": "nope"})).status_code == 422
    other_key = await sealed(codec.settings, case.workflow_id, "x")
    other_key["payloads"][0]["metadata"]["encryption-key-id"] = base64.b64encode(b"gone").decode()
    assert (await codec.decode(other_key)).json()["title"] == "Unknown payload key"
    other_key["payloads"][0]["metadata"]["encryption-key-id"] = base64.b64encode(b"\xff").decode()
    assert (await codec.decode(other_key)).json()["title"] == "Unknown payload key"
    del other_key["payloads"][0]["metadata"]["encryption-key-id"]
    assert (await codec.decode(other_key)).json()["title"] == "Unknown payload key"
    not_utf8 = await sealed(codec.settings, case.workflow_id, "x")
    not_utf8["payloads"][0]["metadata"]["workflow-id"] = base64.b64encode(b"\xff").decode()
    assert (await codec.decode(not_utf8)).json()["title"] == "Undecryptable payload"


async def test_an_invalid_namespace_header_is_refused(codec: Codec) -> None:
    headers = codec.headers(Role.AUDITOR) | {"X-Namespace": "prevent; DROP"}
    response = await codec.http.post(
        f"{codec.url}/codec/decode", json={"payloads": []}, headers=headers
    )
    assert response.status_code == 422


async def test_there_is_no_encode_route(codec: Codec) -> None:
    response = await codec.http.post(
        f"{codec.url}/codec/encode", json={"payloads": [PLAIN]}, headers=codec.headers(Role.AUDITOR)
    )
    assert response.status_code == 404
    paths = (await codec.http.get(f"{codec.url}/openapi.json")).json()["paths"]
    assert [path for path in paths if path.startswith("/codec")] == ["/codec/decode"]


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


TEMPORAL_UI = RealmClient(
    "temporal-ui", "dev-temporal-ui-client-secret", "http://localhost:8080/auth/sso/callback"
)


@pytest.mark.parametrize(("username", "status"), [("auditor-01", 200), ("chair-03", 403)])
async def test_the_temporal_ui_sign_in_gives_the_token_the_codec_takes(
    settings: Settings, pool: Pool, keycloak: KeycloakServer, username: str, status: int
) -> None:
    tokens = await sign_in(keycloak, username, client=TEMPORAL_UI)
    served = settings.model_copy(update={"staff_oidc_issuer": keycloak.issuer})
    case = await known_case(pool, "E08000003")
    body = await sealed(settings, case.workflow_id, "x")
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "X-Namespace": "prevent"}
    async with serve(create_app(served)) as url, httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{url}/codec/decode", json=body, headers=headers)
    assert response.status_code == status, response.text
