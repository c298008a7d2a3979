"""Contact details of a case for the notifications service: read from the stored form."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from safeguard.codes import ConsentRoute
from safeguard.db.pool import Pool
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.keyring import Keyring
from services.intake import store
from services.intake.fields import age_on
from services.intake.form import GUARDIAN_RELATIONSHIPS
from services.intake.models import ConsentContact, ReferralContacts, ReferrerContact
from services.intake.sealed import open_form

ADULT_AGE = 18


async def referral_contacts(pool: Pool, keyring: Keyring, *, referral_id: UUID) -> ReferralContacts:
    """Whom to notify about a referral: its referrer, and whoever is asked for consent."""
    async with pool.acquire() as conn:
        row = await store.contacts_row(conn, referral_id=referral_id)
        form = await open_form(conn, keyring, row) if row else None
    if row is None:
        raise ProblemError(404, "Unknown referral", "No referral has that id.")
    if row["redacted_at"] is not None or form is None:
        raise ProblemError(410, "Referral redacted", "Its personal data has been erased.")
    referrer = form["referrer"]
    return ReferralContacts(
        referral_id=referral_id,
        referrer=ReferrerContact(
            email=referrer.get("email"),
            phone=referrer.get("phone"),
            agency_client_id=row["client_id"],
        ),
        consent_contact=consent_contact(form, today=dt.datetime.now(dt.UTC).date()),
    )


def consent_contact(form: dict[str, Any], *, today: dt.date) -> ConsentContact:
    """The person if 18 or over today, else the first parent, guardian or carer listed."""
    person = form["person"]
    born = dt.date.fromisoformat(person["date_of_birth"])
    address = postal_address(person.get("address"))
    if age_on(born, today) >= ADULT_AGE:
        return ConsentContact(
            route_hint=ConsentRoute.PERSON,
            email=person.get("email"),
            phone=person.get("phone"),
            name=full_name(person),
            postal_address=address,
        )
    guardians = [
        member
        for member in form.get("household_members", [])
        if member["relationship"] in GUARDIAN_RELATIONSHIPS
    ]
    # Prefer a guardian who can be reached over one listed first without contact details.
    reachable = [m for m in guardians if m.get("email") or m.get("phone")]
    chosen = (reachable or guardians or [{}])[0]
    return ConsentContact(
        route_hint=ConsentRoute.GUARDIAN,
        email=chosen.get("email"),
        phone=chosen.get("phone"),
        name=full_name(chosen),
        postal_address=address if chosen else None,
    )


def full_name(someone: dict[str, Any]) -> str | None:
    """Given names then family name, as a letter is addressed."""
    parts = [someone.get("given_names"), someone.get("family_name")]
    named = " ".join(part for part in parts if part)
    return named or None


def postal_address(address: dict[str, Any] | None) -> list[str] | None:
    """The form's address as the lines of an envelope."""
    if not address:
        return None
    lines = [address.get(key) for key in ("line_1", "line_2", "town", "postcode")]
    return [line for line in lines if line]
