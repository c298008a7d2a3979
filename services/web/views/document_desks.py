"""Where each role works on a case's documents: the API its case lives in, its pages, why it
reads (the X-Purpose) and whether it may upload. `views.documents` serves every desk's pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from services.web.views import audit, casework, member
from services.web.views.cases import purpose_header

Purpose = Callable[[str | None, str | None], str | None]


@dataclass(frozen=True)
class Desk:
    """Where a role works on a case's documents, and through which API."""

    prefix: str  # the case's pages, before `/{reference}`
    api: str  # the key of `app.state.api_urls`
    section: str
    purpose: Purpose  # the X-Purpose from the page's query, None if it must be asked
    ask: Callable[[str], str]  # where the purpose is asked, for a reference
    query: Callable[[str | None, str | None], str]  # the purpose, kept in every link
    not_found: str  # the not-found page's message, `{reference}` filled in
    home: dict[str, str]  # the not-found page's way on
    uploads: bool = True
    back: str | None = None  # the back link, when the desk has no page of the case itself

    def case(self, reference: str) -> str:
        """Where the documents' pages are for this desk."""
        return f"{self.prefix}/{quote(reference, safe='')}"


def _officer_query(purpose: str | None, reason: str | None) -> str:
    return urlencode({"purpose": purpose or "", **({"reason": reason} if reason else {})})


def _fixed(purpose: str) -> Purpose:
    """A desk whose pages read for one purpose, so never ask it."""
    return lambda _purpose, _reason: purpose


def _no_query(_purpose: str | None, _reason: str | None) -> str:
    return ""


OFFICER = Desk(
    prefix="/cases",
    api="assessment",
    section="tasks",
    purpose=purpose_header,
    ask=lambda reference: f"/cases/{quote(reference, safe='')}/reason",
    query=_officer_query,
    not_found="There is no case {reference} in your areas.",
    home={"href": "/tasks", "text": "Go to my tasks"},
)
CHAIR = Desk(
    prefix="/chair/cases",
    api="panel",
    section=casework.SECTION,
    purpose=_fixed(casework.PURPOSE),
    ask=lambda _reference: "/chair",
    query=_no_query,
    not_found="There is no case {reference} in your areas.",
    home={"href": "/chair", "text": "Go to your dashboard"},
)
MEMBER = Desk(
    prefix="/member/cases",
    api="panel",
    section=member.SECTION,
    purpose=_fixed(member.CASE_PURPOSE),
    ask=lambda _reference: "/member/cases",
    query=_no_query,
    not_found="There is no case {reference} on the agenda of a panel you sit on.",
    home={"href": "/member/cases", "text": "Go to panel cases"},
)
PROVIDER = Desk(
    prefix="/provider/cases",
    api="panel",
    section="provider",
    purpose=_fixed("intervention provider: documents for my intervention"),
    ask=lambda _reference: "/provider/items",
    query=_no_query,
    not_found="There is no case {reference} with an intervention for your organisation.",
    home={"href": "/provider/items", "text": "Go to my interventions"},
    # A provider sees a case through its interventions, not as a case page.
    back="/provider/items",
)
AUDITOR = Desk(
    prefix="/audit/cases",
    api="panel",
    section=audit.SECTION,
    purpose=audit.stated_purpose,
    ask=lambda reference: f"/audit?{urlencode({'reference': reference})}",
    query=audit.purpose_query,
    not_found="There is no case {reference} in the Channel panel's records.",
    home={"href": "/audit", "text": "Find another case"},
    uploads=False,
)
DESKS = (OFFICER, CHAIR, MEMBER, PROVIDER, AUDITOR)
