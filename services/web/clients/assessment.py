"""The assessment service's API (police): tasks, triage, cases and officers' decisions."""

from __future__ import annotations

from typing import Any

from services.web.clients.base import ApiClient, path_segment

Json = dict[str, Any]


class AssessmentClient(ApiClient):
    """Calls `services/assessment` as the signed-in officer."""

    async def tasks(self, params: list[tuple[str, Any]], *, purpose: str) -> Json:
        """A page of the caller's task inbox."""
        page: Json = await self._get("/v1/tasks", params=params, purpose=purpose)
        return page

    async def triage(self, params: list[tuple[str, Any]], *, purpose: str) -> Json:
        """A page of referrals whose area is not yet known."""
        page: Json = await self._get("/v1/triage", params=params, purpose=purpose)
        return page

    async def case(self, reference: str, *, purpose: str) -> Json:
        """The case view (the read is logged with `purpose`)."""
        view: Json = await self._get(f"/v1/cases/{path_segment(reference)}", purpose=purpose)
        return view

    async def claim(self, task_id: str) -> Json:
        """Take a task."""
        task: Json = await self._post(f"/v1/tasks/{path_segment(task_id)}/claim")
        return task

    async def release(self, task_id: str, *, version: str) -> Json:
        """Put a task back."""
        task: Json = await self._post(
            f"/v1/tasks/{path_segment(task_id)}/release", headers={"if-match": f'"{version}"'}
        )
        return task

    async def assign(self, task_id: str, *, assignee: str, version: str) -> Json:
        """Give a task to an officer."""
        task: Json = await self._post(
            f"/v1/tasks/{path_segment(task_id)}/assign",
            json={"assignee": assignee},
            headers={"if-match": f'"{version}"'},
        )
        return task

    async def decide(self, reference: str, action: str, body: Json) -> Json:
        """Send a decision (`gateway-assessment`, `police-reviews`, `information`, ...)."""
        status: Json = await self._post(
            f"/v1/cases/{path_segment(reference)}/{path_segment(action)}", json=body
        )
        return status

    async def transfers(self, *, purpose: str) -> list[Json]:
        """Transfers waiting for one of the officer's areas to accept them."""
        waiting: list[Json] = await self._get("/v1/transfers", purpose=purpose)
        return waiting

    async def answer_transfer(self, reference: str, answer: str, body: Json) -> Json:
        """Accept, decline or withdraw a transfer (`answer` is one of those three)."""
        status: Json = await self._post(
            f"/v1/cases/{path_segment(reference)}/transfer/{path_segment(answer)}", json=body
        )
        return status

    async def set_area(self, reference: str, *, area: str) -> Json:
        """Give an unassigned case its area."""
        status: Json = await self._post(
            f"/v1/cases/{path_segment(reference)}/area", json={"area": area}
        )
        return status
