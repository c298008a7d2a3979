"""`safeguard notifications resend`: send again notifications that failed for good.

Once the cause is fixed (a directory entry added, a partner's webhook mended), an operator sends
one failed notification again, or every failed one (of a case, of a template). The command asks
the notifications service, which checks the operator's staff token (`--token` or
`SAFEGUARD_OPERATOR_TOKEN`), keeps who asked, and logs the new attempts as it makes them.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import httpx
import typer

from safeguard.settings import get_settings

notifications_app = typer.Typer(
    help="Operators: send again notifications that failed for good.", no_args_is_help=True
)

Token = Annotated[
    str | None,
    typer.Option(envvar="SAFEGUARD_OPERATOR_TOKEN", help="An operator's staff token."),
]


@notifications_app.command("resend")
def resend_command(
    token: Token = None,
    ids: Annotated[list[UUID] | None, typer.Argument(help="Notifications to send again.")] = None,
    all_failed: Annotated[
        bool, typer.Option("--all", help="Every failed notification (with the filters below).")
    ] = False,
    referral_id: Annotated[UUID | None, typer.Option(help="With --all: one case's.")] = None,
    template: Annotated[str | None, typer.Option(help="With --all: one template's.")] = None,
    url: Annotated[
        str | None,
        typer.Option(envvar="SAFEGUARD_NOTIFICATIONS_URL", help="The notifications service."),
    ] = None,
) -> None:
    """Queue failed notifications again; prints each id queued."""
    if not token:
        typer.echo(
            "error: give an operator's token (--token or SAFEGUARD_OPERATOR_TOKEN)", err=True
        )
        raise typer.Exit(2)
    if bool(ids) == all_failed:
        typer.echo("error: name the notifications to send again, or give --all", err=True)
        raise typer.Exit(2)
    base = url or f"http://127.0.0.1:{get_settings().services.notifications}"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        if all_failed:
            body = {"referral_id": str(referral_id) if referral_id else None, "template": template}
            queued = _ids(http.post("/v1/notifications/resend", json=body))
        else:
            queued = [
                i for n in ids or [] for i in _ids(http.post(f"/v1/notifications/{n}/resend"))
            ]
    for notification_id in queued:
        typer.echo(notification_id)
    typer.echo(f"{len(queued)} notification(s) queued to be sent again", err=True)


def _ids(answer: httpx.Response) -> list[str]:
    if answer.status_code != 202:
        typer.echo(f"error: {_problem(answer)}", err=True)
        raise typer.Exit(1)
    ids: list[str] = answer.json()["ids"]
    return ids


def _problem(answer: httpx.Response) -> str:
    try:
        problem: dict[str, Any] = answer.json()
    except ValueError:
        return f"HTTP {answer.status_code}"
    return f"{problem.get('title', answer.status_code)}: {problem.get('detail', '')}".rstrip(": ")
