"""Entry point of the `safeguard` console script."""

from __future__ import annotations

import typer

from safeguard.cli import audit_log
from safeguard.cli.agencies import agencies_app
from safeguard.cli.audit import audit_app
from safeguard.cli.keys import keys_app
from safeguard.cli.notifications import notifications_app
from safeguard.cli.ops import events_app, migrate_command
from safeguard.cli.run import run_command
from safeguard.cli.stack import stack_app
from safeguard.cli.tokens import tokens_app
from safeguard.cli.trace import trace_command

app = typer.Typer(
    help="Run and operate the safeguarding case-workflow platform.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")
app.add_typer(events_app, name="events")
app.add_typer(agencies_app, name="agencies")
app.add_typer(tokens_app, name="tokens")
app.add_typer(keys_app, name="keys")
app.add_typer(notifications_app, name="notifications")
app.command("migrate")(migrate_command)
app.command("run")(run_command)
audit_app.command("verify")(audit_log.verify_command)
audit_app.command("prove")(audit_log.prove_command)
audit_app.command("consistency")(audit_log.consistency_command)
audit_app.command("key")(audit_log.key_command)
audit_app.command("reads")(audit_log.reads_command)
app.add_typer(audit_app, name="audit")
app.command("trace")(trace_command)
