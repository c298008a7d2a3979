"""A referrer who gave only a phone number is acknowledged by text where the deployment sends
texts (GOV.UK Notify), and is left unacknowledged, for good, where it cannot (SMTP only).

Before, the resolver knew only email: such a referrer was never told their reference."""

from __future__ import annotations

import uuid

import httpx
import pytest

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.db.pool import Pool
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.settings import Settings
from services.notifications.contacts import ContactsClient
from services.notifications.delivery import DeliveryError, Destination
from services.notifications.directory import SERVICE
from services.notifications.recipients import Resolver
from tests.notifications.standins import Contacts

PHONE = "07700 900456"


@pytest.mark.parametrize("sends_texts", [True, False])
async def test_a_referrer_with_only_a_phone_is_texted_where_texts_can_be_sent(
    notifying: Settings, pool: Pool, contacts: Contacts, sends_texts: bool
) -> None:
    referral, emailed = uuid.uuid4(), uuid.uuid4()
    contacts.add(referral, referrer_phone=PHONE)
    contacts.add(emailed, referrer_email="dsl@school.example", referrer_phone=PHONE)
    async with (
        service_keyring(notifying, service=SERVICE) as keyring,
        httpx.AsyncClient() as http,
        service_tokens(notifying, ServiceClient.NOTIFICATIONS) as tokens,
    ):
        resolver = Resolver(
            pool=pool,
            contacts=ContactsClient(notifying, http, tokens),
            keyring=keyring,
            sms=sends_texts,
        )
        # Email stays the first choice when there is one.
        found = await resolver.resolve(referral_id=emailed, recipient="referrer")
        assert found == Destination("email", "dsl@school.example")
        if sends_texts:
            found = await resolver.resolve(referral_id=referral, recipient="referrer")
            assert found == Destination("sms", PHONE)
        else:
            with pytest.raises(DeliveryError) as refused:
                await resolver.resolve(referral_id=referral, recipient="referrer")
            assert refused.value.permanent
