"""Histories outlive Temporal: archived when a case closes, replayed and explained from there."""

from __future__ import annotations

import base64
import json
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError

from safeguard.codes import Role
from tests.audit.conftest import DATE_OF_BIRTH, Audit
from tests.helpers import assert_eventually


async def _gone_from_temporal(audit: Audit, workflow_id: str) -> bool:
    try:
        await audit.temporal.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return True
    return False


async def test_a_closed_case_is_replayed_and_explained_from_the_archive(audit: Audit) -> None:
    reference, handle = await audit.open_case()
    await audit.close_with_no_further_action(handle)
    await assert_eventually(lambda: audit.archived_runs(reference), lambda n: n == 1)

    # The case leaves Temporal (as after its retention): only the archive is left.
    await handle.terminate("retention test")
    await audit.temporal.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=audit.temporal.namespace,
            workflow_execution=WorkflowExecution(workflow_id=handle.id),
        )
    )
    # The dev server deletes in the background, about half a minute later.
    await assert_eventually(lambda: _gone_from_temporal(audit, handle.id), within=120, interval=1)

    cases = f"{audit.url}/v1/cases/{reference}"
    replay = (await audit.http.get(f"{cases}/replay", headers=audit.headers())).json()
    assert replay["source"] == "archive"
    assert replay["deterministic"] is True
    assert [run["deterministic"] for run in replay["runs"]] == [True]

    timeline = (await audit.http.get(f"{cases}/timeline", headers=audit.headers())).json()
    decision = next(entry for entry in timeline if entry["kind"] == "decision")
    assert decision["action"] == "record_gateway_assessment"
    assert (decision["actor_id"], decision["actor_role"]) == ("officer-17", "prevent_officer")
    assert (decision["stage_before"], decision["stage_after"]) == ("GATEWAY_ASSESSMENT", "CLOSED")
    assert decision["detail"]["outcome"] == "NO_FURTHER_ACTION"
    assert "vulnerable to grooming" in decision["reasons"]["reasons"]
    assert decision["events"] == ["assessment.recorded", "case.closed"]

    exported = (await audit.http.get(f"{cases}/history", headers=audit.headers())).json()
    started = exported["runs"][0]["history"]["events"][0]
    payload = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert json.loads(base64.b64decode(payload["data"]))["date_of_birth"] == str(DATE_OF_BIRTH)


async def test_only_auditors_read_histories_and_every_read_is_logged(audit: Audit) -> None:
    reference, handle = await audit.open_case()
    await assert_eventually(lambda: handle.query("status"))
    history = f"{audit.url}/v1/cases/{reference}/history"
    for role in (Role.PREVENT_OFFICER, Role.CHANNEL_CHAIR, Role.OPERATOR):
        answer = await audit.http.get(history, headers=audit.headers(role, subject="someone"))
        assert answer.status_code == 403, role
    assert (await audit.http.get(history)).status_code == 401
    no_purpose = {"Authorization": audit.headers()["Authorization"]}
    assert (await audit.http.get(history, headers=no_purpose)).status_code == 400

    answer = await audit.http.get(history, headers=audit.headers())
    assert answer.status_code == 200
    assert answer.json()["source"] == "temporal"  # open cases are not archived yet
    async with audit.pool.acquire() as conn:
        logged: list[Any] = await conn.fetch(
            "SELECT subject, role, fields, purpose FROM audit.access_log WHERE service = 'audit'"
        )
        chained = await conn.fetchval(
            "SELECT count(*) FROM audit.log_entries WHERE kind = 'read' AND actor = 'auditor-1'"
        )
    assert [tuple(row) for row in logged] == [
        ("auditor-1", "auditor", ["history"], "annual audit of closed cases")
    ]
    assert chained == 1


def _payload_text(document: Any) -> str:
    """Every payload of an exported history, decoded, as one text."""
    if isinstance(document, dict):
        data = document.get("data") if "metadata" in document else None
        inner = "".join(_payload_text(v) for v in document.values())
        return inner + (base64.b64decode(data).decode() if isinstance(data, str) else "")
    if isinstance(document, list):
        return "".join(_payload_text(v) for v in document)
    return ""


async def test_police_only_fields_reach_police_auditors_alone(audit: Audit) -> None:
    reference, handle = await audit.open_case()
    await audit.close_with_no_further_action(handle)
    cases = f"{audit.url}/v1/cases/{reference}"
    police = audit.headers(subject="auditor-9", agency="police")
    for who, headers, shown in (("auditor", audit.headers(), False), ("police", police, True)):
        timeline = (await audit.http.get(f"{cases}/timeline", headers=headers)).json()
        decision = next(entry for entry in timeline if entry["kind"] == "decision")
        recorded = decision["detail"] | decision["reasons"]  # free text is among the reasons
        assert ("database_checks" in recorded) is shown, who
        assert ("deconfliction" in recorded) is shown, who
        exported = (await audit.http.get(f"{cases}/history", headers=headers)).json()
        payloads = _payload_text(exported)
        assert ("database_checks" in payloads) is shown, who
        assert ("PNC and local intelligence" in payloads) is shown, who
    async with audit.pool.acquire() as conn:
        fields = await conn.fetch(
            "SELECT subject, fields FROM audit.access_log WHERE service = 'audit' ORDER BY id"
        )
    police_reads = [row["fields"] for row in fields if row["subject"] == "auditor-9"]
    assert police_reads[0] == [
        "timeline",
        "timeline.database_checks",
        "timeline.deconfliction",
    ]
    assert [row["fields"] for row in fields if row["subject"] == "auditor-1"][0] == ["timeline"]
