"""The `safeguard` console script: safeguard's commands, wired to the workflow code.

The commands live in `safeguard.cli`, which may import neither the workflows nor the services;
the few that need the workflow code (replaying histories) get it from here, the one place that
sees every layer.
"""

from __future__ import annotations

from safeguard.cli.main import app
from safeguard.cli.wiring import Wiring
from workflows.referral.actions import PERSONAL_FIELDS
from workflows.referral.replay import replaying
from workflows.referral.replay_bulk import replaying_in_bulk


def main() -> None:
    """Run the CLI with the current workflow code as the replayer."""
    app(
        obj=Wiring(
            replaying=replaying,
            replaying_in_bulk=replaying_in_bulk,
            personal=PERSONAL_FIELDS,
        )
    )
