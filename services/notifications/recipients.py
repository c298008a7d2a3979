"""Turning a recipient key (`referrer`, `consent_contact`, `role@scope`) into a destination.

A supervisor tier with no directory entry for the area (nor a `*` one) falls back to the team
it supervises, and the destination says so (the dispatcher records it in the delivery log).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from uuid import UUID

from safeguard.db.pool import Pool
from safeguard.fieldcrypt.keyring import Keyring
from services.notifications import directory
from services.notifications.contacts import ConsentContact, ContactsClient, ReferralContacts
from services.notifications.delivery import DeliveryError, Destination
from services.notifications.routing import SUPERVISES

logger = logging.getLogger(__name__)
# Each supervisor tier's role, and the role of the team told in its place.
_STAND_INS = {tier.value: team.value for tier, team in SUPERVISES.items()}


class Resolver:
    """Resolves recipients when a notification is sent, so contact changes are honoured."""

    def __init__(
        self, *, pool: Pool, contacts: ContactsClient, keyring: Keyring, sms: bool = False
    ) -> None:
        self._pool = pool
        self._contacts = contacts
        self._keyring = keyring
        # Whether this deployment sends texts (GOV.UK Notify does; SMTP does not).
        self._sms = sms

    async def resolve(self, *, referral_id: UUID, recipient: str) -> Destination:
        """The one destination of `recipient`; `DeliveryError` if there is none."""
        if recipient == "referrer":
            return await self._referrer(await self._contacts.contacts(referral_id))
        if recipient.startswith("consent_contact"):
            contacts = await self._contacts.contacts(referral_id)
            return _consent_contact(contacts, by=recipient.partition("/")[2])
        role, _, scope = recipient.partition("@")
        found = await self._lookup(role, scope)
        stand_in = _STAND_INS.get(role)
        if found or stand_in is None:
            return _prefer_webhook(found, f"no directory entry for {role}")
        return await self._in_place_of(role, stand_in, scope)

    async def _in_place_of(self, role: str, stand_in: str, scope: str) -> Destination:
        """The team whose supervisors have no entry: an escalation must still reach someone."""
        found = await self._lookup(stand_in, scope)
        destination = _prefer_webhook(found, f"no directory entry for {role} nor {stand_in}")
        # Roles and the scope only: addresses stay out of the log.
        logger.warning("no %s entry for %s: sending to %s instead", role, scope, stand_in)
        return replace(destination, fallback=f"{stand_in}@{scope}")

    async def _referrer(self, contacts: ReferralContacts) -> Destination:
        agency = contacts.referrer.agency_client_id
        if agency is not None:
            found = await self._lookup(directory.PARTNER_AGENCY, agency)
            webhooks = [d for d in found if d.channel == "webhook"]
            if webhooks:
                return webhooks[0]
        if contacts.referrer.email:
            return Destination("email", contacts.referrer.email)
        # A referrer who gave only a phone number is told by text where texts can be sent.
        if contacts.referrer.phone and self._sms:
            return Destination("sms", contacts.referrer.phone)
        raise DeliveryError("the referrer has no contact route", permanent=True)

    async def _lookup(self, role: str, scope: str) -> list[Destination]:
        async with self._pool.acquire() as conn:
            return await directory.lookup(conn, self._keyring, role=role, scope=scope)


def _consent_contact(contacts: ReferralContacts, *, by: str) -> Destination:
    """As the request was made (`letter`, `email`), else by email or SMS as recorded."""
    contact = contacts.consent_contact
    if by == "letter":
        return _envelope(contact)
    if by == "email" and not (contact and contact.email):
        raise DeliveryError("no email address is recorded for the consent contact", permanent=True)
    if contact is not None and contact.email:
        return Destination("email", contact.email)
    if contact is not None and contact.phone:
        return Destination("sms", contact.phone)
    raise DeliveryError("no consent contact is recorded", permanent=True)


def _envelope(contact: ConsentContact | None) -> Destination:
    if contact is None or not contact.postal_address:
        raise DeliveryError("no postal address is recorded for the consent contact", permanent=True)
    addressee = contact.name or (
        "The parent or guardian" if contact.route_hint == "guardian" else "The occupier"
    )
    return Destination("letter", "\n".join([addressee, *contact.postal_address]))


def _prefer_webhook(found: list[Destination], missing: str) -> Destination:
    """A partner's system over a mailbox: it is the record the partner works from."""
    if not found:
        # Permanent until an operator adds the entry and sends it again (resend.py).
        raise DeliveryError(missing, permanent=True)
    return next((d for d in found if d.channel == "webhook"), found[0])
