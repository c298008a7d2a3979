"""The audit service's API (auditors): timelines, replays, who read a case, the audit log."""

from __future__ import annotations

from typing import Any

from services.web.clients.base import ApiClient, path_segment

Json = dict[str, Any]


class AuditClient(ApiClient):
    """Calls `services/audit` as the signed-in auditor; every case read states its purpose."""

    async def timeline(self, reference: str, *, purpose: str) -> tuple[list[Json], str]:
        """Who decided what and when, oldest first, and where the history came from."""
        answer = await self._send(
            "GET", f"/v1/cases/{path_segment(reference)}/timeline", purpose=purpose
        )
        entries: list[Json] = answer.json()
        return entries, answer.headers.get("x-history-source", "")

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

    async def log_check(self) -> Json:
        """The audit log checked against its signed checkpoints."""
        result: Json = await self._get("/v1/log/verification")
        return result
