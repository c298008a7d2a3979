"""Staff tokens and an HTTP driver for the panel API, shared by panel and journey tests."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from safeguard.auth.staff import StaffPrincipal, mint
from safeguard.codes import InterventionType, Role
from services.intake.openapi import SCHOOL_REFERRAL
from services.panel.factors import FACTORS
from tests.helpers import assert_eventually

AREA = "E08000003"
OTHER_AREA = "E09000033"
PURPOSE = {"X-Purpose": "Channel panel casework"}
CHAIR = "chair-3"
MEMBERS = {"police-2": "police", "school-9": "education", "health-4": "health"}


@dataclass
class Staff:
    """Mints tokens for any role, signed by the key the services trust."""

    key: dict[str, Any]

    def headers(
        self,
        role: Role,
        subject: str | None = None,
        *,
        areas: tuple[str, ...] = (AREA,),
        agency: str | None = None,
        provider_id: str | None = None,
    ) -> dict[str, str]:
        """Authorization (and a stated purpose) for one person."""
        principal = StaffPrincipal(
            subject=subject or f"{role.value}-1",
            role=role,
            areas=areas,
            agency=agency,
            provider_id=provider_id,
        )
        token = mint(
            self.key,
            principal=principal,
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=3600,
        )
        return {"Authorization": f"Bearer {token}"} | PURPOSE

    def chair(self, areas: tuple[str, ...] = (AREA,)) -> dict[str, str]:
        """The area's Channel chair."""
        return self.headers(Role.CHANNEL_CHAIR, CHAIR, areas=areas)

    def member(self, subject: str = "school-9", areas: tuple[str, ...] = ()) -> dict[str, str]:
        """A panel member (agency as seated); a member sees by agenda whatever areas are given."""
        return self.headers(Role.PANEL_MEMBER, subject, areas=areas, agency=MEMBERS.get(subject))

    def provider(self, provider_id: str) -> dict[str, str]:
        """An intervention provider's caseworker."""
        return self.headers(
            Role.INTERVENTION_PROVIDER, f"{provider_id}-worker", areas=(), provider_id=provider_id
        )

    def officer(self) -> dict[str, str]:
        """A Prevent officer of the area."""
        return self.headers(Role.PREVENT_OFFICER, "officer-17")

    def auditor(self) -> dict[str, str]:
        """An auditor overseeing every area."""
        return self.headers(Role.AUDITOR, "auditor-1", areas=())

    def guardian(self, reference: str) -> dict[str, str]:
        """A token bound to one case, acting as its consent link's holder would."""
        return self.headers(Role.PERSON_OR_GUARDIAN, f"consent:{reference}", areas=())


def referral_form(area: str = AREA) -> dict[str, Any]:
    """A school's referral for a child in `area`."""
    form = copy.deepcopy(SCHOOL_REFERRAL)
    form["area"] = area
    return form


def all_factors(rating: str = "medium") -> dict[str, Any]:
    """Every factor of the framework rated alike."""
    return {name: {"rating": rating, "notes": "Discussed at panel."} for name in FACTORS}


def plan(*providers: str, start: str = "2026-12-01") -> dict[str, Any]:
    """A plan with one mentoring intervention per provider."""
    return {
        "interventions": [
            {
                "type": "ideological_mentoring",
                "provider_id": provider,
                "frequency": "weekly",
                "start": start,
            }
            for provider in providers
        ],
        "consent_arrangements": "The chair asks the guardian in person.",
    }


def provider_entry(provider_id: str, **fields: Any) -> dict[str, Any]:
    """A register entry approving the provider everywhere, for every kind of support, for a
    year (unless told otherwise)."""
    until = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=365)
    return {
        "id": provider_id,
        "name": f"Provider {provider_id}",
        "support": [kind.value for kind in InterventionType],
        "areas": [],
        "national": True,
        "approved_until": until.isoformat(),
    } | fields


@dataclass
class PanelDriver:
    """Drives the panel API as a chair would."""

    url: str
    http: httpx.AsyncClient
    staff: Staff
    panels: dict[str, str] = field(default_factory=dict)
    registered: set[str] = field(default_factory=set)

    async def register(self, *providers: str) -> None:
        """Approve providers in the register (once each), so plans may choose them."""
        for provider in providers:
            if provider not in self.registered:
                await self.ok("POST", "/v1/providers", json=provider_entry(provider))
                self.registered.add(provider)

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request (as the chair unless told)."""
        return await self.http.request(
            method, f"{self.url}{path}", headers=headers or self.staff.chair(), **kwargs
        )

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request that must succeed; its JSON."""
        answer = await self.call(method, path, **kwargs)
        assert answer.status_code in (200, 201), f"{method} {path}: {answer.text}"
        return answer.json()

    async def case(self, reference: str) -> dict[str, Any] | None:
        """The case view, or None while the panel has not heard of it."""
        answer = await self.call("GET", f"/v1/cases/{reference}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def wait_for_stage(self, reference: str, stage: str) -> dict[str, Any]:
        """Wait until the panel's read model has the case in `stage`."""

        async def probe() -> dict[str, Any] | None:
            return await self.case(reference)

        view = await assert_eventually(
            probe, lambda v: v is not None and v["case"]["stage"] == stage
        )
        assert view is not None
        return view

    async def panel(self, area: str = AREA) -> str:
        """The area's panel (set up once), with the chair and three agencies' members."""
        if area not in self.panels:
            members = [{"subject": CHAIR, "agency": "local_authority"}] + [
                {"subject": s, "agency": a} for s, a in MEMBERS.items()
            ]
            created = await self.ok(
                "POST",
                "/v1/panels",
                json={"area": area, "name": f"Channel panel {area}", "members": members},
            )
            self.panels[area] = created["id"]
        return self.panels[area]

    async def meeting(self, *references: str, conflicts: list[Any] | None = None) -> str:
        """A meeting with the cases on its agenda and everyone attending."""
        panel_id = await self.panel()
        meeting = await self.ok(
            "POST",
            f"/v1/panels/{panel_id}/meetings",
            json={
                "scheduled_for": dt.datetime.now(dt.UTC).isoformat(),
                "agenda": list(references),
            },
        )
        attendees = [{"id": CHAIR, "agency": "local_authority"}] + [
            {"id": s, "agency": a} for s, a in MEMBERS.items()
        ]
        await self.ok(
            "PUT",
            f"/v1/meetings/{meeting['id']}/attendance",
            json={"attendees": attendees, "conflicts": conflicts or []},
        )
        meeting_id: str = meeting["id"]
        return meeting_id

    async def request_consent(self, reference: str, method: str = "letter") -> dict[str, Any]:
        """The chair asks the guardian (by letter unless told)."""
        found: dict[str, Any] = await self.ok(
            "POST",
            f"/v1/cases/{reference}/consent/request",
            json={"route": "guardian", "method": method},
        )
        return found

    async def give_consent(self, reference: str, headers: dict[str, str] | None = None) -> Any:
        """Consent given for the plan's mentoring (on the guardian's behalf unless told)."""
        return await self.ok(
            "POST",
            f"/v1/cases/{reference}/consent/answer",
            headers=headers,
            json={
                "decision": "given",
                "scope": "Mentoring and education support.",
                "method": "letter",
            },
        )

    async def adopt(self, reference: str, meeting_id: str, *providers: str) -> dict[str, Any]:
        """A unanimous adoption with a plan (its providers registered first)."""
        providers = providers or ("mentor-a",)
        await self.register(*providers)
        found: dict[str, Any] = await self.ok(
            "POST",
            f"/v1/cases/{reference}/decision",
            json={
                "meeting_id": meeting_id,
                "adopted": True,
                "basis": "unanimous",
                "votes_for": 4,
                "votes_against": 0,
                "reasons": "Vulnerable; support is proportionate.",
                "plan": plan(*providers),
            },
        )
        return found


def new_key() -> str:
    """An idempotency key."""
    return str(uuid.uuid4())
