"""Providers' and panel members' pages over the real APIs: only their own items and agendas."""

from __future__ import annotations

import datetime as dt

from safeguard.codes import Role
from tests.helpers import assert_eventually
from tests.web.conftest import Site
from tests.web.panel_cases import GATEWAY, MEMBER, MEMBER_AGENCY, POLICE_ONLY_TEXT, channel
from tests.web.staff import visitor

MINE, THEIRS = "provider-02", "provider-07"


async def test_a_provider_sees_and_updates_only_its_own_items(pages: Site) -> None:
    panel = await channel(pages)
    d = panel.driver
    reference = await panel.in_panel()
    meeting = await d.meeting(reference)
    await d.adopt(reference, meeting, MINE, THEIRS)
    view = await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    items = {i["provider_id"]: i["item_id"] for i in view["plan"][0]["items"]}
    provider = await visitor(pages, MINE, Role.INTERVENTION_PROVIDER, provider_id=MINE)
    try:
        start = await provider.get("/")
        assert start.headers["location"] == "/provider/items"
        listing = await provider.get("/provider/items")
        assert listing.status_code == 200
        assert "My interventions" in listing.text
        assert f'href="/provider/items/{items[MINE]}"' in listing.text
        assert items[THEIRS] not in listing.text
        for shown in (reference, "Ideological mentoring", "Weekly", "1 December 2026"):
            assert shown in listing.text
        assert "Support active" in listing.text

        # Another provider's item, by its address: the same page as no item; nothing recorded.
        refused = await provider.get(f"/provider/items/{items[THEIRS]}")
        assert refused.status_code == 404
        assert "Intervention not found" in refused.text
        today = dt.datetime.now(dt.UTC).date()
        contact = {
            "held_on-day": str(today.day),
            "held_on-month": str(today.month),
            "held_on-year": str(today.year),
            "kind": "session",
            "notes": "Talked through the videos he has been sent.",
        }
        sent = await provider.post(f"/provider/items/{items[THEIRS]}/contacts", contact)
        assert sent.status_code == 404
        assert "Nothing was recorded" in sent.text
        assert (await provider.get("/provider/items/not-an-item")).status_code == 404

        # Their own: the form's errors, then the contact and its confirmation banner.
        form = await provider.get(f"/provider/items/{items[MINE]}/contacts")
        assert form.status_code == 200 and 'name="held_on-day"' in form.text
        empty = await provider.post(f"/provider/items/{items[MINE]}/contacts", {"notes": ""})
        assert empty.status_code == 400
        assert "There is a problem" in empty.text
        assert 'href="#held_on-day">Enter the date of the contact' in empty.text
        assert 'href="#kind">Select what kind of contact it was' in empty.text
        future = contact | {"held_on-year": str(today.year + 1)}
        later = await provider.post(f"/provider/items/{items[MINE]}/contacts", future)
        assert "must be today or in the past" in later.text
        assert "Talked through the videos" in later.text  # what was typed is kept
        done = await provider.post(f"/provider/items/{items[MINE]}/contacts", contact)
        assert done.status_code == 303
        assert done.headers["location"] == f"/provider/items/{items[MINE]}"
        page = await provider.get(done.headers["location"])
        assert "govuk-notification-banner--success" in page.text
        assert "session on" in page.text and "is recorded" in page.text
        assert "Talked through the videos he has been sent." in page.text
    finally:
        await provider.http.aclose()

    mine = await d.ok("GET", f"/v1/provider/items/{items[MINE]}", headers=d.staff.provider(MINE))
    assert [(c["kind"], c["attended"]) for c in mine["contacts"]] == [("session", True)]
    theirs = await d.ok(
        "GET", f"/v1/provider/items/{items[THEIRS]}", headers=d.staff.provider(THEIRS)
    )
    assert theirs["contacts"] == []


async def test_a_member_sees_only_open_cases_on_their_panels_agendas(pages: Site) -> None:
    panel = await channel(pages)
    d = panel.driver
    listed, closing, unlisted = [await panel.in_panel() for _ in range(3)]
    meeting = await d.meeting(listed, closing)
    member = await visitor(pages, MEMBER, Role.PANEL_MEMBER, agency=MEMBER_AGENCY)
    try:
        assert (await member.get("/")).headers["location"] == "/member/cases"
        cases = await member.get("/member/cases")
        assert cases.status_code == 200 and "Panel cases" in cases.text
        assert listed in cases.text and closing in cases.text
        assert unlisted not in cases.text

        case = await member.get(f"/member/cases/{listed}")
        assert case.status_code == 200
        for heading in ("Summary", "Referral", "Vulnerability assessment", "Decisions"):
            assert heading in case.text
        assert GATEWAY["reasons"] in case.text
        for hidden in POLICE_ONLY_TEXT:
            assert hidden not in case.text, hidden

        # Typed into the address bar: not on their panel's agenda.
        refused = await member.get(f"/member/cases/{unlisted}")
        assert refused.status_code == 404
        assert "on the agenda of a panel you sit on" in refused.text
        assert unlisted in refused.text and "Referral" not in refused.text

        # Not adopted: the case closes and leaves the member's list.
        await panel.not_adopted(closing, meeting)

        async def still_listed() -> bool:
            return closing in (await member.get("/member/cases")).text

        await assert_eventually(still_listed, lambda shown: not shown, within=30)
        assert listed in (await member.get("/member/cases")).text
        # ... and cannot be opened by its address either: members see open cases only.
        assert (await member.get(f"/member/cases/{closing}")).status_code == 404
    finally:
        await member.http.aclose()
