"""The panel service's API (local authority): panels, meetings, plans and providers' contacts."""

from __future__ import annotations

from typing import Any

from services.web.clients.base import ApiClient, path_segment

Json = dict[str, Any]


class PanelClient(ApiClient):
    """Calls `services/panel` as the signed-in person."""

    # --- Intervention providers and panel members (provider/member pages) ---

    async def provider_items(self, *, purpose: str) -> list[Json]:
        """The plan items assigned to the caller's provider (current revisions)."""
        items: list[Json] = await self._get("/v1/provider/items", purpose=purpose)
        return items

    async def provider_item(self, item_id: str, *, purpose: str) -> Json:
        """One of the caller's plan items, with its contacts (404 for anyone else's)."""
        item: Json = await self._get(f"/v1/provider/items/{path_segment(item_id)}", purpose=purpose)
        return item

    async def record_contact(self, item_id: str, body: Json) -> Json:
        """Record a session, contact or missed session against one of the caller's items."""
        item: Json = await self._post(
            f"/v1/provider/items/{path_segment(item_id)}/contacts", json=body
        )
        return item

    async def member_queue(self, params: list[tuple[str, Any]], *, purpose: str) -> Json:
        """A page of the open cases on the agendas of the caller's panels (a member's queue)."""
        page: Json = await self._get("/v1/queue", params=params, purpose=purpose)
        return page

    async def member_case(self, reference: str, *, purpose: str) -> Json:
        """The case as the panel shows a member (never police-only detail)."""
        view: Json = await self._get(f"/v1/cases/{path_segment(reference)}", purpose=purpose)
        return view

    # --- end of provider/member methods ---

    # --- Channel chair's casework (case page and casework forms) ---

    async def chair_case(self, reference: str, *, purpose: str) -> Json:
        """The case as the panel shows the chair: status, consent, records, plan, chronology."""
        view: Json = await self._get(f"/v1/cases/{path_segment(reference)}", purpose=purpose)
        return view

    async def case_meetings(self, reference: str, *, purpose: str) -> list[Json]:
        """The meetings with the case on their agenda, earliest first."""
        path = f"/v1/cases/{path_segment(reference)}/meetings"
        found: list[Json] = await self._get(path, purpose=purpose)
        return found

    async def case_providers(self, reference: str) -> list[Json]:
        """The register's providers a plan for the case may choose today, by name."""
        found: list[Json] = await self._get(f"/v1/cases/{path_segment(reference)}/providers")
        return found

    async def factors(self) -> list[Json]:
        """The 22 factors of the vulnerability assessment framework, with their dimensions."""
        found: list[Json] = await self._get("/v1/factors")
        return found

    async def casework(self, reference: str, path: str, body: Json) -> Json:
        """Send one casework step (`information-requests`, `consent/request`, `decision`, ...)."""
        segments = "/".join(path_segment(part) for part in path.split("/"))
        answer: Json = await self._post(
            f"/v1/cases/{path_segment(reference)}/{segments}", json=body
        )
        return answer

    # --- end of the chair's casework methods ---

    # --- Channel chair's panels, meetings and dashboard (chair/panels pages) ---

    async def chair_queue(self, params: list[tuple[str, Any]], *, purpose: str) -> Json:
        """A page of the chair's work queue: cases awaiting consent, the panel or a review."""
        page: Json = await self._get("/v1/queue", params=params, purpose=purpose)
        return page

    async def panels(self) -> list[Json]:
        """The panels of the caller's areas, with their members."""
        found: list[Json] = await self._get("/v1/panels")
        return found

    async def panel(self, panel_id: str) -> Json:
        """One panel and its members."""
        found: Json = await self._get(f"/v1/panels/{path_segment(panel_id)}")
        return found

    async def create_panel(self, body: Json) -> Json:
        """Set up a panel in one of the chair's areas."""
        created: Json = await self._post("/v1/panels", json=body)
        return created

    async def put_member(self, panel_id: str, subject: str, *, agency: str) -> Json:
        """Seat a member (by their user ID) and the agency they represent."""
        path = f"/v1/panels/{path_segment(panel_id)}/members/{path_segment(subject)}"
        found: Json = (await self._send("PUT", path, json={"agency": agency})).json()
        return found

    async def remove_member(self, panel_id: str, subject: str) -> Json:
        """Unseat a member."""
        path = f"/v1/panels/{path_segment(panel_id)}/members/{path_segment(subject)}"
        found: Json = (await self._send("DELETE", path)).json()
        return found

    async def panel_meetings(self, panel_id: str) -> list[Json]:
        """A panel's meetings, soonest first (counts only)."""
        found: list[Json] = await self._get(f"/v1/panels/{path_segment(panel_id)}/meetings")
        return found

    async def create_meeting(self, panel_id: str, body: Json) -> Json:
        """Schedule a meeting (with any cases already on its agenda)."""
        created: Json = await self._post(f"/v1/panels/{path_segment(panel_id)}/meetings", json=body)
        return created

    async def meeting(self, meeting_id: str, *, purpose: str) -> Json:
        """A meeting: agenda, attendees and declared conflicts (the read is logged)."""
        found: Json = await self._get(f"/v1/meetings/{path_segment(meeting_id)}", purpose=purpose)
        return found

    async def add_to_agenda(self, meeting_id: str, reference: str) -> Json:
        """Put a case of the panel's area on the agenda."""
        path = f"/v1/meetings/{path_segment(meeting_id)}/agenda"
        found: Json = await self._post(path, json={"reference": reference})
        return found

    async def publish_agenda(self, meeting_id: str) -> Json:
        """Publish the agenda: the panel is told of each case on it."""
        found: Json = await self._post(f"/v1/meetings/{path_segment(meeting_id)}/agenda/publish")
        return found

    async def record_attendance(self, meeting_id: str, body: Json) -> Json:
        """Who attended, for which agency, and the conflicts they declared."""
        path = f"/v1/meetings/{path_segment(meeting_id)}/attendance"
        found: Json = (await self._send("PUT", path, json=body)).json()
        return found

    # --- end of the chair's panels and meetings methods ---
