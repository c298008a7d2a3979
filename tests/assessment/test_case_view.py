"""The case view per role, the gateway assessment through the API, the access log, stale 409s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client
from temporalio.service import RetryConfig

from safeguard.auth.service_identity import ServiceClient
from safeguard.codes import Role, Stage
from services.intake import store as intake_store
from tests.assessment.conftest import AREA, OTHER_AREA, Assessment, serve_assessment
from tests.helpers import assert_eventually, free_port
from tests.proxy import proxy_to
from tests.service_auth import service_headers

ASSESSMENT: dict[str, Any] = {
    "outcome": "POLICE_LED",
    "reasons": "Concerning online activity; police-led management is proportionate.",
    "deconfliction": "live_interest",
    "database_checks": "PNC: one prior caution (2024). Local intelligence: nothing further.",
}


async def test_officer_assesses_a_case_and_sees_police_only_fields(system: Assessment) -> None:
    earlier = await system.submit(given_names="Sam", family_name="Whitfield")
    reference = await system.submit(given_names="Sam", family_name="Whitfield")
    officer = system.staff.officer()

    view = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["case"]["reference"] == reference
    assert body["case"]["stage"] == "GATEWAY_ASSESSMENT"
    assert body["referral"]["person"]["family_name"] == "Whitfield"
    assert [link["reference"] for link in body["linked_referrals"]] == [earlier]
    assert body["linked_referrals"][0]["stage"] == "GATEWAY_ASSESSMENT"
    assert "record_gateway_assessment" in body["status"]["allowed_actions"]
    assert [t["kind"] for t in body["tasks"]] == ["gateway_assessment"]
    assert body["chronology"][0]["summary"].startswith("Referral received")
    assert body["gaps"] == {}

    recorded = await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment", json=ASSESSMENT, headers=officer
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["stage"] == "POLICE_LED"
    done = await system.wait_for_tasks(reference, 1, status="done")
    assert done[0]["kind"] == "gateway_assessment"

    seen = (await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)).json()
    decision = seen["decisions"][0]
    assert decision["actor_id"] == "officer-17"
    assert decision["actor_role"] == "prevent_officer"
    assert decision["detail"]["deconfliction"] == "live_interest"
    assert decision["detail"]["database_checks"] == ASSESSMENT["database_checks"]
    entries = [(e["kind"], e["summary"]) for e in seen["chronology"]]
    assert ("decision", "Record gateway assessment (GATEWAY_ASSESSMENT → POLICE_LED)") in entries


async def test_auditor_reads_without_police_only_fields_and_cannot_write(
    system: Assessment,
) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    recorded = await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment", json=ASSESSMENT, headers=officer
    )
    assert recorded.status_code == 200, recorded.text

    auditor = system.staff.headers(Role.AUDITOR, "auditor-2", areas=())
    view = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=auditor)
    assert view.status_code == 200, view.text
    detail = view.json()["decisions"][0]["detail"]
    assert detail["outcome"] == "POLICE_LED"
    assert detail["reasons"] == ASSESSMENT["reasons"]
    assert "deconfliction" not in detail and "database_checks" not in detail
    # Absent everywhere, not merely from one key.
    assert ASSESSMENT["database_checks"] not in view.text
    assert "live_interest" not in view.text

    # A police auditor (agency "police") is under the police-only rule's other arm.
    police = system.staff.headers(Role.AUDITOR, "auditor-7", areas=(), agency="police")
    seen = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=police)
    assert seen.json()["decisions"][0]["detail"]["database_checks"] == ASSESSMENT["database_checks"]

    refused = await system.http.post(
        f"{system.url}/v1/cases/{reference}/police-reviews",
        json={"decision": "close", "notes": "n/a"},
        headers=auditor,
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_every_read_of_case_data_is_logged_with_its_fields(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment", json=ASSESSMENT, headers=officer
    )
    auditor = system.staff.headers(Role.AUDITOR, "auditor-2", areas=())
    before = len(await system.access_log())

    await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)
    await system.http.get(f"{system.url}/v1/cases/{reference}", headers=auditor)
    await system.http.get(f"{system.url}/v1/tasks", headers=officer)
    no_purpose = {"Authorization": officer["Authorization"]}
    missing = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=no_purpose)
    assert missing.status_code == 400

    rows = (await system.access_log())[before:]
    # Each case view reads the form from intake with assessment's own token: intake logs that.
    assert [(r["subject"], r["role"], r["service"]) for r in rows] == [
        ("svc-assessment", "service", "intake"),
        ("officer-17", "prevent_officer", "assessment"),
        ("svc-assessment", "service", "intake"),
        ("auditor-2", "auditor", "assessment"),
        ("officer-17", "prevent_officer", "assessment"),
    ]
    intake_row, officer_row, _, auditor_row, inbox_row = rows
    assert intake_row["referral_id"] == officer_row["referral_id"]
    assert "form.person" in intake_row["fields"]
    tasks = await system.tasks_of(reference)
    assert officer_row["referral_id"] == auditor_row["referral_id"] == tasks[0]["referral_id"]
    assert officer_row["purpose"] == "gateway assessment"
    assert "referral.form" in officer_row["fields"]
    assert "decisions.database_checks" in officer_row["fields"]
    assert "decisions.deconfliction" in officer_row["fields"]
    assert "decisions" in auditor_row["fields"]
    assert not any(f.startswith("decisions.") for f in auditor_row["fields"])
    assert inbox_row["referral_id"] is None
    assert "task.reference" in inbox_row["fields"]


async def test_a_stale_decision_is_409_with_the_current_stage(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    url = f"{system.url}/v1/cases/{reference}/gateway-assessment"
    first = await system.http.post(url, json=ASSESSMENT, headers=officer)
    assert first.status_code == 200, first.text

    again = await system.http.post(url, json=ASSESSMENT, headers=system.staff.officer("officer-9"))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["stage"] == "POLICE_LED"
    decisions = (
        await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)
    ).json()["decisions"]
    assert len(decisions) == 1  # the stale one left nothing behind


async def test_invalid_content_is_422_and_nothing_is_recorded(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    signposted_without_service = ASSESSMENT | {"outcome": "SIGNPOSTED"}
    answer = await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment",
        json=signposted_without_service,
        headers=officer,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"]
    unknown_field = await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment",
        json=ASSESSMENT | {"actor": {"id": "someone-else", "role": "prevent_officer"}},
        headers=officer,
    )
    assert unknown_field.status_code == 422  # the actor comes from the token, never the body
    view = (await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)).json()
    assert view["decisions"] == [] and view["case"]["stage"] == "GATEWAY_ASSESSMENT"


async def test_police_led_review_and_reassessment_through_the_api(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    base = f"{system.url}/v1/cases/{reference}"
    await system.http.post(f"{base}/gateway-assessment", json=ASSESSMENT, headers=officer)
    await system.advance(reference, 91)
    tasks = await system.wait_for_tasks(reference, 2)
    assert [(t["kind"], t["status"]) for t in tasks] == [
        ("gateway_assessment", "done"),
        ("police_review", "open"),
    ]

    review = await system.http.post(
        f"{base}/police-reviews",
        json={"decision": "continue", "notes": "Engaging."},
        headers=officer,
    )
    assert review.status_code == 200, review.text
    assert review.json()["stage"] == "POLICE_LED"
    await system.wait_for_tasks(reference, 2, status="done")

    info = await system.http.post(
        f"{base}/information", json={"summary": "New school report."}, headers=officer
    )
    assert info.status_code == 200, info.text
    assert info.json()["stage"] == "GATEWAY_ASSESSMENT"
    reassess = await system.wait_for_tasks(reference, 3)
    assert reassess[-1]["kind"] == "reassessment" and reassess[-1]["status"] == "open"


async def test_transfer_moves_the_case_out_of_the_officers_areas(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    asked = await system.http.post(
        f"{system.url}/v1/cases/{reference}/transfer",
        json={"to_area": OTHER_AREA, "reason": "Family moved."},
        headers=officer,
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["area"] == AREA  # until the receiving area accepts
    theirs = system.staff.officer("officer-40", areas=(OTHER_AREA,))
    moved = await system.http.post(
        f"{system.url}/v1/cases/{reference}/transfer/accept", headers=theirs
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["area"] == OTHER_AREA

    async def area_of_task() -> str:
        return str((await system.tasks_of(reference))[0]["area"])

    await assert_eventually(area_of_task, lambda area: area == OTHER_AREA)
    gone = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)
    assert gone.status_code == 404
    assert (
        await system.http.get(f"{system.url}/v1/cases/{reference}", headers=theirs)
    ).status_code == 200
    inbox = await system.http.get(f"{system.url}/v1/tasks", headers=theirs)
    assert [t["reference"] for t in inbox.json()["items"]] == [reference]


async def test_temporal_down_is_503_and_nothing_is_recorded(
    system: Assessment, temporal_client: Client
) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    target = temporal_client.service_client.config.target_host
    async with proxy_to(target) as proxy:
        through_proxy = await Client.connect(
            proxy.address,
            data_converter=temporal_client.data_converter,
            retry_config=RetryConfig(max_retries=1, initial_interval_millis=50),
        )
        async with serve_assessment(system.settings, through_proxy, consume=False) as url:
            before = await system.http.get(f"{url}/v1/cases/{reference}", headers=officer)
            assert before.json()["status"]["stage"] == "GATEWAY_ASSESSMENT"
            await proxy.cut()
            answer = await system.http.post(
                f"{url}/v1/cases/{reference}/gateway-assessment", json=ASSESSMENT, headers=officer
            )
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5"
            assert answer.json()["title"] == "Service unavailable"
            assert answer.json()["detail"].startswith("The case engine cannot be reached")
            view = await system.http.get(f"{url}/v1/cases/{reference}", headers=officer)
            # The read model (status included, as its events left it) and the referral
            # still answer.
            assert view.status_code == 200
            assert view.json()["status"]["stage"] == "GATEWAY_ASSESSMENT"
            assert view.json()["gaps"] == {}
    status = (await system.http.get(f"{system.url}/v1/cases/{reference}", headers=officer)).json()
    assert status["case"]["stage"] == Stage.GATEWAY_ASSESSMENT
    assert status["decisions"] == []


async def test_intake_down_leaves_a_named_gap(system: Assessment, temporal_client: Client) -> None:
    reference = await system.submit()
    elsewhere = system.settings.model_copy(
        update={"intake_internal_url": f"http://127.0.0.1:{free_port()}"}
    )
    async with serve_assessment(elsewhere, temporal_client, consume=False) as url:
        view = await system.http.get(f"{url}/v1/cases/{reference}", headers=system.staff.officer())
    assert view.status_code == 200
    body = view.json()
    assert body["referral"] is None
    assert body["gaps"]["referral"].startswith("intake unavailable")
    assert body["status"]["stage"] == "GATEWAY_ASSESSMENT"
    rows = await system.access_log()
    assert "referral.form" not in rows[-1]["fields"]


async def test_intakes_internal_referral_answers_services_only(system: Assessment) -> None:
    earlier = await system.submit(given_names="Ali", family_name="Hart")
    reference = await system.submit(given_names="Ali", family_name="Hart")
    token = service_headers(system.settings, ServiceClient.ASSESSMENT)
    tasks = {ref: (await system.tasks_of(ref))[0]["referral_id"] for ref in (earlier, reference)}
    url = f"{system.intake}/internal/v1/referrals/{tasks[reference]}"

    answer = await system.http.get(url, headers=token)
    assert answer.status_code == 200
    body = answer.json()
    assert body["reference"] == reference and body["area"] == AREA
    assert body["form"]["person"]["family_name"] == "Hart"
    assert [link["reference"] for link in body["linked_referrals"]] == [earlier]
    assert set(body) == {
        "referral_id",
        "reference",
        "received_at",
        "area",
        "form",
        "linked_referrals",
    }

    assert (await system.http.get(url)).status_code == 401
    unknown = await system.http.get(
        f"{system.intake}/internal/v1/referrals/{uuid.uuid4()}", headers=token
    )
    assert unknown.status_code == 404
    async with system.pool.acquire() as conn:
        await intake_store.redact(conn, referral_id=tasks[reference], at=datetime.now(UTC))
    gone = await system.http.get(url, headers=token)
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"
