"""`jewgo console-link --email E`: a one-time sign-in link to the operator console."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.gateway.cli.runtime import settings as read_settings
from jewgo.gateway.cli.runtime import with_engine
from jewgo.gateway.console.app import port_of
from jewgo.gateway.console.links import ConsoleLinks, Issued, LinkRefused


def link_url(host: str, port: int, secret: str) -> str:
    """The console's address with the secret in the fragment, which browsers send to no
    server (nor in a Referer): it reaches the gateway only when the page redeems it."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/console#link={secret}"


@click.command("console-link")
@click.option("--email", required=True, help="An ADMIN's or a MODERATOR's email address.")
@click.option(
    "--base-url",
    default=None,
    help="The console's address as the browser reaches it (behind a proxy); "
    "default: CONSOLE_PUBLIC_URL, else http://HOST:CONSOLE_PORT.",
)
def console_link(email: str, base_url: str | None) -> None:
    """Print a link that signs in to the console once, within CONSOLE_LINK_MINUTES."""
    settings = read_settings()
    if not settings.console:
        raise click.ClickException("the console is off (CONSOLE=false)")

    async def issue(engine: AsyncEngine) -> Issued:
        return await ConsoleLinks(engine, settings.console_link_minutes).issue(email)

    try:
        issued = with_engine(settings, issue, existing=True)
    except LinkRefused as exc:
        raise click.ClickException(str(exc)) from None
    base_url = base_url if base_url is not None else settings.console_public_url
    if base_url is not None:
        url = f"{base_url.rstrip('/')}/console#link={issued.secret}"
    else:  # the server's own address: right when the server's settings are this shell's
        port = port_of(settings.port, settings.console_port)
        url = link_url(settings.host, port, issued.secret)
    click.echo(url)
    click.echo(
        f"{issued.role}, works once, until {issued.expires_at.isoformat(timespec='seconds')}",
        err=True,
    )
