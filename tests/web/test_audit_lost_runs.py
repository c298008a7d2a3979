"""The auditor's pages say when a case's history is incomplete: a run Temporal deleted before
the archiver stored it (here the archiver does not sweep, and the namespace deletes an ended
run 6 seconds after it ended)."""

from __future__ import annotations

import re
from datetime import timedelta

from safeguard.codes import Role
from safeguard.settings import Settings
from tests.audit.conftest import start_case
from tests.audit.short_retention import end_first_run, gone, short_retention
from tests.helpers import assert_eventually, free_port
from tests.web.conftest import UNREACHABLE_ISSUER, running_site
from tests.web.staff import visitor

WARNING = "This history is incomplete. The case engine deleted a run of this case"


def _text(html: str) -> str:
    """The page's words, tags gone and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_timeline_and_replay_pages_name_a_lost_run(settings: Settings) -> None:
    no_sweep = settings.model_copy(update={"audit_sweep_seconds": 3_600})
    async with (
        short_retention(timedelta(seconds=6)) as env,
        running_site(no_sweep, env.client, issuer=UNREACHABLE_ISSUER, web_port=free_port()) as site,
    ):
        reference, handle = await start_case(
            env.client, site.settings.temporal_task_queue, history_limit=1
        )
        first = await end_first_run(env.client, handle)
        await assert_eventually(lambda: gone(env.client, handle.id, first), within=60, interval=0.5)

        auditor = await visitor(site, "auditor-01", Role.AUDITOR)
        async with auditor.http:
            for page in ("", "/replay"):
                answer = await auditor.get(
                    f"/audit/cases/{reference}{page}?purpose=scheduled-audit"
                )
                assert answer.status_code == 200, page
                words = _text(answer.text)
                assert WARNING in words, page
                assert f"Lost run ID: {first}." in words, page
                assert "govuk-warning-text" in answer.text
