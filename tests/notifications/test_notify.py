"""The GOV.UK Notify channel, through the official client, against a loopback stand-in."""

from __future__ import annotations

import uuid

import pytest
from pydantic import SecretStr

from safeguard.settings import NotificationSettings
from services.notifications.delivery import DeliveryError, Destination, Outgoing
from services.notifications.notify import NotifySender
from services.notifications.templates import render
from tests.notifications.standins import Notify
from tests.servers import serve

TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
PARAMS = {
    "reference": "PRV-2026-000101",
    "due": "1 May 2026",
    "link": "https://safeguard.example/consent/abc",
    "link_expires": "15 April 2026",
}


def _outgoing(destination: Destination) -> Outgoing:
    message = render("consent_request", PARAMS)
    return Outgoing(uuid.uuid4(), uuid.uuid4(), destination, message)


async def _sender(
    notify: Notify, base_url: str, templates: dict[str, str] | None = None
) -> NotifySender:
    return NotifySender(
        NotificationSettings(
            channel="notify",
            notify_api_key=SecretStr(notify.api_key),
            notify_base_url=base_url,
            notify_template_ids=templates or {"consent_request": TEMPLATE_ID},
        )
    )


async def test_email_and_sms_go_through_notify_templates() -> None:
    notify = Notify(service_id=str(uuid.uuid4()), secret=str(uuid.uuid4()))
    async with serve(notify.app()) as base_url:
        sender = await _sender(notify, base_url)
        email = _outgoing(Destination("email", "parent@home.example"))
        await sender.send(email)
        await sender.send(_outgoing(Destination("sms", "+447700900123")))
    assert [(s["kind"], s["template_id"]) for s in notify.sent] == [
        ("email", TEMPLATE_ID),
        ("sms", TEMPLATE_ID),
    ]
    assert notify.sent[0]["email_address"] == "parent@home.example"
    assert notify.sent[0]["reference"] == str(email.notification_id)
    assert notify.sent[0]["personalisation"] == PARAMS


async def test_a_text_uses_the_sms_template_where_one_is_configured() -> None:
    """Notify's templates are per channel: a text sent with an email template is refused."""
    notify = Notify(service_id=str(uuid.uuid4()), secret=str(uuid.uuid4()))
    text_template = str(uuid.uuid4())
    templates = {"consent_request": TEMPLATE_ID, "consent_request:sms": text_template}
    async with serve(notify.app()) as base_url:
        sender = await _sender(notify, base_url, templates)
        await sender.send(_outgoing(Destination("email", "parent@home.example")))
        await sender.send(_outgoing(Destination("sms", "+447700900123")))
    assert [(s["kind"], s["template_id"]) for s in notify.sent] == [
        ("email", TEMPLATE_ID),
        ("sms", text_template),
    ]


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (429, False), (500, False)])
async def test_notify_refusals_are_classified(status: int, permanent: bool) -> None:
    notify = Notify(service_id=str(uuid.uuid4()), secret=str(uuid.uuid4()), answer_status=status)
    async with serve(notify.app()) as base_url:
        sender = await _sender(notify, base_url)
        with pytest.raises(DeliveryError) as raised:
            await sender.send(_outgoing(Destination("email", "parent@home.example")))
    assert raised.value.permanent is permanent
    assert raised.value.reason == f"Notify answered {status}"


async def test_a_template_without_a_notify_id_is_refused_for_good() -> None:
    notify = Notify(service_id=str(uuid.uuid4()), secret=str(uuid.uuid4()))
    sender = NotifySender(
        NotificationSettings(channel="notify", notify_api_key=SecretStr(notify.api_key))
    )
    with pytest.raises(DeliveryError) as raised:
        await sender.send(_outgoing(Destination("email", "parent@home.example")))
    assert raised.value.permanent


async def test_a_letter_goes_through_notifys_letter_channel() -> None:
    notify = Notify(service_id=str(uuid.uuid4()), secret=str(uuid.uuid4()))
    envelope = "Jo Whitfield\n1 Example Street\nManchester\nM1 1AA"
    message = render("consent_request_letter", PARAMS)
    letter = Outgoing(uuid.uuid4(), uuid.uuid4(), Destination("letter", envelope), message)
    async with serve(notify.app()) as base_url:
        sender = NotifySender(
            NotificationSettings(
                channel="notify",
                notify_api_key=SecretStr(notify.api_key),
                notify_base_url=base_url,
                notify_template_ids={"consent_request_letter": TEMPLATE_ID},
            )
        )
        await sender.send(letter)
    [sent] = notify.sent
    assert (sent["kind"], sent["template_id"]) == ("letter", TEMPLATE_ID)
    assert sent["reference"] == str(letter.notification_id)
    assert sent["personalisation"] == PARAMS | {
        "address_line_1": "Jo Whitfield",
        "address_line_2": "1 Example Street",
        "address_line_3": "Manchester",
        "address_line_4": "M1 1AA",
    }
