"""The audit service's API (auditors): timelines, replays, who read a case, the audit log."""

from __future__ import annotations

from typing import Any, NamedTuple

from services.web.clients.base import ApiClient, path_segment

Json = dict[str, Any]


class Timeline(NamedTuple):
    """A case's timeline as the audit API answers it."""

    entries: list[Json]
    source: str
    # Runs of the case's history that neither the archive nor Temporal holds any more.
    missing_runs: list[str]


class AuditClient(ApiClient):
    """Calls `services/audit` as the signed-in auditor; every case read states its purpose."""

    async def timeline(self, reference: str, *, purpose: str) -> Timeline:
        """Who decided what and when, oldest first, where the history came from, and the runs
        of it that are lost."""
        answer = await self._send(
            "GET", f"/v1/cases/{path_segment(reference)}/timeline", purpose=purpose
        )
        missing = answer.headers.get("x-history-missing-runs", "")
        return Timeline(
            entries=answer.json(),
            source=answer.headers.get("x-history-source", ""),
            missing_runs=[run_id for run_id in missing.split(",") if run_id],
        )

    async def replay(self, reference: str, *, purpose: str) -> Json:
        """Each run replayed on the current code: deterministic, or the failure."""
        result: Json = await self._get(
            f"/v1/cases/{path_segment(reference)}/replay", purpose=purpose
        )
        return result

    async def reads(self, reference: str, *, purpose: str, limit: int, offset: int) -> Json:
        """A page of the case's access log, newest first."""
        page: Json = await self._get(
            f"/v1/cases/{path_segment(reference)}/reads",
            purpose=purpose,
            params={"limit": limit, "offset": offset},
        )
        return page

    async def log_state(self) -> Json:
        """The log's size, backlog and newest checkpoint (cheap)."""
        result: Json = await self._get("/v1/log")
        return result

    async def log_check(self) -> Json:
        """The audit log checked against its signed checkpoints."""
        result: Json = await self._get("/v1/log/verification")
        return result
