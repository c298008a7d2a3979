"""Each role's service navigation and start page: one table, so a new area of work is one line."""

from __future__ import annotations

from typing import NamedTuple


class Link(NamedTuple):
    """One item of the service navigation; `section` marks it active on its pages."""

    href: str
    text: str
    section: str


STATISTICS = Link("/statistics", "Statistics", "statistics")
NAVIGATION: dict[str, tuple[Link, ...]] = {
    "prevent_officer": (
        Link("/tasks", "My tasks", "tasks"),
        Link("/triage", "Triage", "triage"),
        STATISTICS,
    ),
    "intervention_provider": (Link("/provider/items", "My interventions", "provider"),),
    "panel_member": (Link("/member/cases", "Panel cases", "member"),),
    "auditor": (Link("/audit", "Audit", "audit"), STATISTICS),
    "channel_chair": (
        Link("/chair", "Dashboard", "chair"),
        Link("/panels", "Panels", "panels"),
        STATISTICS,
    ),
    # Operators see aggregates only: the statistics are their one page here.
    "operator": (STATISTICS,),
}


def start_page(role: str) -> str | None:
    """Where a role's work starts (its first navigation item), if it has pages yet."""
    links = NAVIGATION.get(role)
    return links[0].href if links else None


def navigation(role: str | None, section: str | None) -> list[dict[str, object]]:
    """The GOV.UK service navigation items for a role, the current section active."""
    return [
        {"href": link.href, "text": link.text, "active": link.section == section}
        for link in NAVIGATION.get(role or "", ())
    ]
