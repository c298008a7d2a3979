"""Cases driven to the Channel panel through the APIs, for the provider and member pages' tests."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from safeguard.auth.staff import development_signing_key
from tests.helpers import assert_eventually
from tests.panel.driver import AREA, CHAIR, MEMBERS, PanelDriver, Staff
from tests.web.conftest import Site

MEMBER = "member-05"
MEMBER_AGENCY = "manchester-childrens-services"
# What the officer recorded: the last two never reach a panel member's page.
GATEWAY = {
    "outcome": "REFERRED_TO_CHANNEL",
    "reasons": "Drawn to an online group that glorifies attacks; support is needed.",
    "deconfliction": "live_interest",
    "database_checks": "Police national computer: a caution in 2024; associates known locally.",
}
POLICE_ONLY_TEXT = (
    GATEWAY["database_checks"],
    "live_interest",
    "Live interest",
    "Deconfliction",
    "Database checks",
)


@dataclass
class Channel:
    """The panel API driven as the chair, with a panel `member-05` sits on."""

    site: Site
    driver: PanelDriver

    async def referred(self) -> str:
        """A referral the officer sent to Channel through the assessment API."""
        reference = await self.site.refer()
        officer = self.driver.staff.officer()

        async def send() -> httpx.Response:
            return await self.site.http.post(
                f"{self.site.assessment}/v1/cases/{reference}/gateway-assessment",
                json=GATEWAY,
                headers=officer,
            )

        await assert_eventually(send, lambda answer: answer.status_code == 200, within=30)
        return reference

    async def in_panel(self) -> str:
        """A case the guardian consented to, awaiting the panel."""
        d = self.driver
        reference = await self.referred()
        await d.wait_for_stage(reference, "CONSENT_PENDING")
        await d.request_consent(reference)
        await d.give_consent(reference, headers=d.staff.guardian(reference))
        await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
        return reference

    async def not_adopted(self, reference: str, meeting_id: str) -> None:
        """The panel decides not to adopt: the case closes (reason NOT_ADOPTED)."""
        await self.driver.ok(
            "POST",
            f"/v1/cases/{reference}/decision",
            json={
                "meeting_id": meeting_id,
                "adopted": False,
                "basis": "unanimous",
                "votes_for": 0,
                "votes_against": 4,
                "reasons": "Needs are better met by children's social care.",
                "health_or_social_care_considered": True,
            },
        )
        await self.driver.wait_for_stage(reference, "CLOSED")


async def channel(site: Site) -> Channel:
    """The area's panel, set up with `member-05` among its members."""
    staff = Staff(development_signing_key(site.settings.data_dir))
    driver = PanelDriver(url=site.panel, http=site.http, staff=staff)
    members = [
        {"subject": CHAIR, "agency": "local_authority"},
        {"subject": MEMBER, "agency": MEMBER_AGENCY},
    ]
    members += [{"subject": s, "agency": a} for s, a in MEMBERS.items()]
    created = await driver.ok(
        "POST",
        "/v1/panels",
        json={"area": AREA, "name": "Manchester Channel panel", "members": members},
    )
    driver.panels[AREA] = created["id"]
    return Channel(site, driver)
