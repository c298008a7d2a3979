"""Entry point of the `safeguard` console script."""

from __future__ import annotations

import typer

from safeguard.cli.stack import stack_app

app = typer.Typer(help="Run and operate the safeguarding case-workflow platform.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
