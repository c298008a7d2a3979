"""Turning a recipient key (`referrer`, `consent_contact`, `role@scope`) into a destination."""

from __future__ import annotations

from uuid import UUID

from safeguard.db.pool import Pool
from safeguard.fieldcrypt.keyring import Keyring
from services.notifications import directory
from services.notifications.contacts import ContactsClient, ReferralContacts
from services.notifications.delivery import DeliveryError, Destination


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
        if recipient == "consent_contact":
            return _consent_contact(await self._contacts.contacts(referral_id))
        role, _, scope = recipient.partition("@")
        return _prefer_webhook(await self._lookup(role, scope), f"no directory entry for {role}")

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


def _consent_contact(contacts: ReferralContacts) -> Destination:
    contact = contacts.consent_contact
    if contact is not None and contact.email:
        return Destination("email", contact.email)
    if contact is not None and contact.phone:
        return Destination("sms", contact.phone)
    raise DeliveryError("no consent contact is recorded", permanent=True)


def _prefer_webhook(found: list[Destination], missing: str) -> Destination:
    """A partner's system over a mailbox: it is the record the partner works from."""
    if not found:
        # Permanent until an operator adds the entry; then the notification can be retried.
        raise DeliveryError(missing, permanent=True)
    return next((d for d in found if d.channel == "webhook"), found[0])
