"""A transfer in the officers' pages: asked for, found and accepted by the receiving area."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from safeguard.codes import Role
from tests.helpers import assert_eventually
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor

AREA = "E08000003"
RECEIVING = "W06000025"  # an area no other test uses


@pytest.fixture
async def officers(pages: Site) -> AsyncIterator[tuple[Visitor, Visitor]]:
    """Officer 17 of the case's area, and officer 62 of the receiving area, signed in."""
    sender = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    receiver = await visitor(pages, "officer-62", Role.PREVENT_OFFICER, (RECEIVING,))
    yield sender, receiver
    await sender.http.aclose()
    await receiver.http.aclose()


async def _ask(sender: Visitor, reference: str) -> str:
    base = f"/cases/{reference}/decisions/transfer"
    form = {"to_area": RECEIVING, "reason": "The family moved to Pembrokeshire."}
    assert (await sender.post(base, form)).status_code == 303
    sent = await sender.post(f"{base}/check", {})
    assert sent.status_code == 303, sent.text
    return (await sender.get(sent.headers["location"])).text


async def test_the_receiving_officer_finds_and_accepts_a_transfer(
    pages: Site, officers: tuple[Visitor, Visitor]
) -> None:
    sender, receiver = officers
    reference = await pages.refer()
    case_page = f"/cases/{reference}?purpose=transfer"

    async def known() -> int:
        return (await sender.get(case_page)).status_code

    await assert_eventually(known, lambda status: status == 200)
    done = await _ask(sender, reference)
    assert "Transfer requested" in done
    assert f"waiting for {RECEIVING} to accept" in done

    seen_by_sender = (await sender.get(case_page)).text
    assert f"Transfer requested, waiting for {RECEIVING} to accept" in seen_by_sender
    assert "Withdraw the transfer request" in seen_by_sender
    assert "Will your area take this case?" not in seen_by_sender

    async def inbox() -> str:
        return (await receiver.get("/tasks")).text

    listed = await assert_eventually(inbox, lambda text: reference in text)
    assert "Transfers waiting for your area" in listed
    seen_by_receiver = await receiver.get(case_page)
    assert seen_by_receiver.status_code == 200
    assert "Will your area take this case?" in seen_by_receiver.text
    # Not theirs yet: the sending area's steps are not offered.
    assert f"/cases/{reference}/decisions/gateway-assessment" not in seen_by_receiver.text
    assert "Withdraw the transfer request" not in seen_by_receiver.text

    answer = f"/cases/{reference}/transfer/answer"
    unanswered = await receiver.post(answer, {"return_to": case_page})
    assert unanswered.status_code == 303
    again = (await receiver.get(unanswered.headers["location"])).text
    assert "Select whether your area accepts the transfer" in again

    accepted = await receiver.post(answer, {"answer": "accept", "return_to": case_page})
    assert accepted.status_code == 303
    theirs = (await receiver.get(accepted.headers["location"])).text
    assert "Transfer accepted" in theirs
    # The whole history comes along: the sender's request and the referral itself.
    assert "Transfer case," in theirs and "Accept transfer," in theirs
    assert "The family moved to Pembrokeshire." in theirs
    assert "The referral form is not available." not in theirs

    async def gone() -> int:
        return (await sender.get(case_page)).status_code

    await assert_eventually(gone, lambda status: status == 404)


async def test_the_sender_withdraws_a_transfer_from_the_case_page(
    pages: Site, officers: tuple[Visitor, Visitor]
) -> None:
    sender, _ = officers
    reference = await pages.refer()
    case_page = f"/cases/{reference}?purpose=transfer"

    async def known() -> int:
        return (await sender.get(case_page)).status_code

    await assert_eventually(known, lambda status: status == 200)
    await _ask(sender, reference)
    withdrawn = await sender.post(f"/cases/{reference}/transfer/withdraw", {"return_to": case_page})
    assert withdrawn.status_code == 303
    page = (await sender.get(withdrawn.headers["location"])).text
    assert "Transfer request withdrawn" in page
    assert "Transfer requested, waiting for" not in page
    assert f"/cases/{reference}/decisions/transfer" in page  # it may be asked again
