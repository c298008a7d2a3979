"""`safeguard agencies register | list | rotate | revoke` against a real database."""

from __future__ import annotations

import asyncio
import os
import sys

from safeguard.settings import Settings
from tests.intake.clients import bearer
from tests.intake.conftest import Intake


async def _safeguard(settings: Settings, *args: str) -> tuple[int, str]:
    """Exit status and stdout and stderr together, as a terminal shows them."""
    code, output, _ = await _safeguard_apart(settings, *args, merge=True)
    return code, output


async def _safeguard_apart(
    settings: Settings, *args: str, merge: bool = False
) -> tuple[int, str, str]:
    """Exit status, stdout and stderr, as `KEY=$(...)` in a script sees them."""
    process = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "safeguard"),
        "agencies",
        *args,
        env=os.environ | {"SAFEGUARD_DATABASE_URL": str(settings.database_url)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merge else asyncio.subprocess.PIPE,
    )
    output, errors = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode(), (errors or b"").decode()


async def _status_code(intake: Intake, token: str) -> int:
    answer = await intake.http.get("/v1/referrals/PRV-2026-999999", headers=bearer(token))
    return answer.status_code


async def test_register_list_rotate_revoke(intake: Intake, settings: Settings) -> None:
    code, out = await _safeguard(
        settings, "register", "oak-college", "--name", "Oak College", "--area", "E06000001"
    )
    assert code == 0, out
    first = out.strip().splitlines()[-1]
    assert first.startswith("sg_") and await _status_code(intake, first) == 404

    code, out = await _safeguard(
        settings, "register", "public-web-form", "--name", "Public form", "--kind", "public"
    )
    assert code == 0, out
    code, out = await _safeguard(settings, "list")
    assert "oak-college" in out and "public   " in out and "10/min+5" in out
    assert first not in out

    code, out = await _safeguard(settings, "rotate", "oak-college", "--grace-hours", "0")
    second = out.strip().splitlines()[-1]
    assert code == 0 and second != first
    assert await _status_code(intake, first) == 401
    assert await _status_code(intake, second) == 404

    code, out = await _safeguard(settings, "revoke", "oak-college")
    assert code == 0 and await _status_code(intake, second) == 401
    code, out = await _safeguard(settings, "register", "oak-college", "--name", "Again")
    assert code == 1 and "already registered" in out


async def test_register_prints_the_key_alone_and_a_second_run_says_why_there_is_none(
    intake: Intake, settings: Settings
) -> None:
    # The quick start's `KEY=$(safeguard agencies register ...)`, run once, then again.
    code, out, err = await _safeguard_apart(settings, "register", "elm-school", "--name", "Elm")
    assert code == 0, err
    assert out.startswith("sg_") and out.count("\n") == 1, out
    assert "shown only once" in err
    assert await _status_code(intake, out.strip()) == 404

    code, out, err = await _safeguard_apart(settings, "register", "elm-school", "--name", "Elm")
    assert (code, out) == (1, "")
    assert "already registered, so no key was issued" in err
    assert "safeguard agencies rotate elm-school" in err
