"""Fixtures of the notifications tests: a real SMTP server and the HTTP stand-ins."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.codes import Role
from safeguard.db.pool import Pool, create_pool
from safeguard.settings import NotificationSettings, Settings
from services.notifications.sink import SmtpSink
from tests.helpers import free_port
from tests.notifications.standins import Contacts
from tests.servers import serve

PURPOSE = {"X-Purpose": "checking the family was told"}


@dataclass(frozen=True)
class Staff:
    """Mints staff tokens signed by the key the service trusts."""

    key: dict[str, Any]

    def headers(self, role: Role, areas: tuple[str, ...] = ()) -> dict[str, str]:
        """Authorization and a stated purpose for one person of `role` in `areas`."""
        principal = StaffPrincipal(subject=f"{role.value}-1", role=role, areas=areas)
        token = mint(
            self.key,
            principal=principal,
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}"} | PURPOSE

    def trusted_by(self, settings: Settings) -> Settings:
        """`settings` trusting this key for staff tokens."""
        return settings.model_copy(
            update={"staff_jwks": SecretStr(json.dumps(public_key_set(self.key)))}
        )


@pytest.fixture
def staff(tmp_path: Path) -> Staff:
    """A signing key for this test's staff tokens."""
    return Staff(development_signing_key(tmp_path))


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    opened = await create_pool(settings)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on loopback, keeping what it receives."""
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest.fixture
def contacts() -> Contacts:
    """The referrals' contacts the intake stand-in serves."""
    return Contacts()


@pytest.fixture
async def notifying(
    settings: Settings, smtp: SmtpSink, contacts: Contacts, staff: Staff, tmp_path: Path
) -> AsyncIterator[Settings]:
    """Settings sending mail to `smtp` and asking the contacts stand-in, retrying quickly.

    The test's data dir holds the development key: the service signs its own tokens with it
    and the stand-in trusts it, as services sharing a data dir do under `safeguard run`."""
    own = settings.model_copy(update={"data_dir": tmp_path})
    async with serve(contacts.app(own)) as intake:
        yield staff.trusted_by(own).model_copy(
            update={
                "intake_internal_url": intake,
                "panel_internal_url": intake,
                "notifications": NotificationSettings(
                    smtp_host=smtp.host,
                    smtp_port=smtp.port,
                    smtp_local_sink=False,
                    retry_base_seconds=0.1,
                    max_attempts=4,
                ),
            }
        )
