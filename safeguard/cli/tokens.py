"""`safeguard tokens mint`: staff bearer tokens for local use."""

from __future__ import annotations

from typing import Annotated

import typer

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint
from safeguard.codes import Role
from safeguard.settings import get_settings

tokens_app = typer.Typer(help="Staff bearer tokens for development.", no_args_is_help=True)


@tokens_app.command("mint")
def mint_command(
    subject: Annotated[str, typer.Option(help="The staff member's identity, e.g. officer-17.")],
    role: Annotated[Role, typer.Option(help="The role the token acts in.")],
    area: Annotated[list[str] | None, typer.Option(help="Area codes; repeatable.")] = None,
    agency: Annotated[str | None, typer.Option(help="The member's agency.")] = None,
    provider: Annotated[str | None, typer.Option(help="Intervention provider id.")] = None,
    hours: Annotated[float, typer.Option(help="Lifetime.")] = 8.0,
) -> None:
    """Print a token signed with the local development key."""
    settings = get_settings()
    if settings.environment == "production":
        typer.echo("error: tokens come from the identity provider in production", err=True)
        raise typer.Exit(1)
    principal = StaffPrincipal(
        subject=subject, role=role, areas=tuple(area or ()), agency=agency, provider_id=provider
    )
    token = mint(
        development_signing_key(settings.data_dir),
        principal=principal,
        issuer=settings.staff_token_issuer,
        audience=settings.staff_token_audience,
        ttl_seconds=int(hours * 3600),
    )
    typer.echo(token)
