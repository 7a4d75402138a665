"""Command-line tools: `flask --app main <command>`, run by whoever operates the deployment."""

import functools
import getpass
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from handlers.auth.oauth1 import CONSUMER_KEY, CONSUMER_SECRET, secret_box
from handlers.context import ndb_context
from handlers.legacy import migrate
from models import Actor, ApiToken, StashboardError, acting_as, demo, install
from models.integrations import KINDS, Integration
from models.rebuild import board_is_indexed, rebuild_board


def _operator():
    """The CLI's actor in the audit log: the operating-system user running it."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry (containers): still record something
        user = "unknown"
    return Actor(email=f"{user} (command line)", via="cli")


def _in_context(function):
    """Run a command inside an NDB context, acting as the operator; model errors exit cleanly."""

    @functools.wraps(function)
    @with_appcontext
    def wrapper(*args, **kwargs):
        with ndb_context(current_app), acting_as(_operator()):
            try:
                install()
                return function(*args, **kwargs)
            except StashboardError as error:
                raise click.ClickException(error.message) from error

    return wrapper


@click.command("create-api-token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="A label for the token.")
@click.option("--oauth1", is_flag=True,
              help="An OAuth 1.0a access token and secret instead, for clients written for Stashboard 1.x.")
@_in_context
def create_api_token(email, name, oauth1):
    """Create an admin API token for EMAIL (added to the admins if missing); prints the token last."""
    if oauth1:
        token, access_token, secret, added = ApiToken.issue_oauth_to_admin(
            email, name, added_by=_operator().email, box=secret_box())
    else:
        token, secret, added = ApiToken.issue_to_admin(email, name, added_by=_operator().email)
    if added:
        click.echo(f"Added {token.email} to the admins.")
    if oauth1:
        click.echo(f"OAuth 1.0a token {token.token_id} ({token.name}) for {token.email}: consumer key and secret "
                   f"'{CONSUMER_KEY}' / '{CONSUMER_SECRET}'. The secret is shown only this once; the last two lines "
                   "are the access token and its secret:")
        click.echo(access_token)
    else:
        click.echo(f"Token {token.token_id} ({token.name}) for {token.email}; it is shown only this once:")
    click.echo(secret)


@click.command("revoke-api-token")
@click.argument("token")
@_in_context
def revoke_api_token(token):
    """Revoke an API token, given as the token itself or its id."""
    revoked = ApiToken.find(token).revoke()
    click.echo(f"Revoked token {revoked.token_id} ({revoked.name}) of {revoked.email}.")


def _use_and_state(credential):
    """When a token or an integration was last used, and whether it still works, for the lists."""
    state = f"revoked {credential.revoked:%Y-%m-%d %H:%M}" if credential.revoked else "active"
    used = f"{credential.last_used:%Y-%m-%d %H:%M}" if credential.last_used else "never"
    return f"last used {used}  {state}"


@click.command("list-api-tokens")
@_in_context
def list_api_tokens():
    """List API tokens, newest first."""
    for token in ApiToken.newest():
        click.echo(f"{token.token_id}  {token.email}  {token.name!r}  {_use_and_state(token)}")


@click.command("create-integration")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(KINDS)), required=True, help="The tool that posts to /hooks/KIND.")
@click.option("--service-label", help="The label (Alertmanager) or field naming the service  [default: service].")
@click.option("--service", "services", multiple=True, metavar="NAME=SERVICE_ID",
              help="Show alerts about NAME on the service SERVICE_ID (repeatable).")
@click.option("--severity", "severities", multiple=True, metavar="SEVERITY=STATUS_ID",
              help="Show alerts of SEVERITY with the status STATUS_ID (repeatable).")
@click.option("--default-status", help="The status of a severity not mapped  [default: down].")
@click.option("--signing-secret", envvar="PAGERDUTY_SIGNING_SECRET",
              help="PagerDuty: the webhook subscription's signing secret (or set $PAGERDUTY_SIGNING_SECRET).")
@_in_context
def create_integration(name, kind, service_label, services, severities, default_status, signing_secret):
    """Create an integration NAME: the credential a monitoring tool posts alerts with; prints it last."""
    integration, secret = Integration.issue(
        name, kind, created_by=_operator().email, service_label=service_label, services="\n".join(services),
        severities="\n".join(severities), default_status=default_status, signing_secret=signing_secret)
    click.echo(f"Integration {integration.token_id} ({integration.name}, {KINDS[kind]}) posts to /hooks/{kind}; "
               "its credential is shown only this once:")
    click.echo(secret)


@click.command("list-integrations")
@_in_context
def list_integrations():
    """List integrations, newest first."""
    for integration in Integration.newest():
        click.echo(f"{integration.token_id}  {integration.kind}  {integration.name!r}  {_use_and_state(integration)}")


@click.command("revoke-integration")
@click.argument("integration")
@_in_context
def revoke_integration(integration):
    """Revoke an integration, given as its credential or its id: its next alert is refused."""
    revoked = Integration.find(integration).revoke()
    click.echo(f"Revoked integration {revoked.token_id} ({revoked.name}).")


@click.command("seed-demo")
@click.option("--probe-days", type=click.IntRange(1, demo.PROBE_DAYS), default=demo.PROBE_DAYS,
              help="How many days of the probe's results to seed (fewer: a quicker start).")
@_in_context
def seed_demo(probe_days):
    """Fill an empty board with the demo: services with 90 days of history, incidents, a maintenance
    window to come and a probe with 30 days of response times (models/demo.py)."""
    if not demo.seed(probe_days):
        click.echo("The board already has services; nothing seeded.")
        return
    click.echo(f"Seeded {len(demo.SERVICES)} services, {len(demo.LISTS)} lists, their events, two incidents, "
               "a maintenance window and a probe.")


@click.command("rebuild-history")
@click.option("--start-after", metavar="SERVICE_ID", default="", help="Resume an interrupted run after this service.")
@_in_context
def rebuild_history(start_after):
    """Rebuild every service's newest event, current status and day rollups from its events, and
    the notices from the incidents and maintenance windows: for boards written before rollups
    existed, or after a bulk import (the daily cron job runs the same rebuild).

    Idempotent: a service already right is only read. Services are walked in id order and the
    progress bar names the last one done, so an interrupted run resumes with --start-after.
    """
    run = rebuild_board(start_after)
    changed, done = 0, start_after
    try:
        with click.progressbar(length=len(run), label="Rebuilding history", item_show_func=_done_up_to) as bar:
            for service_id, service_changed in run:
                changed += service_changed
                done = service_id
                bar.update(1, done)
    except BaseException:  # interrupted or failed: say where to resume, whatever stopped it
        if done:
            click.echo(f"Stopped after {done}; resume with --start-after {done}", err=True)
        raise
    click.echo(f"{changed} of {len(run)} services changed.")
    if start_after and not board_is_indexed():
        click.echo("Run it once without --start-after to let the board read its index instead of every service.")


def _done_up_to(service_id):
    """The progress bar's label: the id to resume after if the run stops here."""
    return f"done up to {service_id}" if service_id else None


@click.command("migrate-1x")
@click.option("--dry-run", is_flag=True, help="Only count what would be migrated and report problems.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_in_context
def migrate_1x(dry_run, as_json):
    """Copy a Stashboard 1.x board (same Datastore) to this app's models: statuses, images, lists,
    services, events and OAuth tokens. Idempotent and resumable: run it again to finish or to check.
    """
    report = migrate(dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
        return
    click.echo("Dry run: nothing written." if dry_run else "Migrated from Stashboard 1.x.")
    if dry_run and report.counts.get("tokens", {}).get("found"):
        click.echo("A real run blanks each 1.x Profile's OAuth secret once its token is adopted (kept sealed here).")
    click.echo(f"{'':10} {'found':>7} {'created':>7} {'existing':>8} {'skipped':>7}")
    for kind, counts in report.counts.items():
        click.echo(f"{kind:10} {counts['found']:>7} {counts['created']:>7} {counts['existing']:>8} {counts['skipped']:>7}")
    if not report.counts:
        click.echo("No Stashboard 1.x entities found.")
    for problem in report.problems:
        click.echo(f"problem: {problem}")


@click.command("install")
@_in_context
def install_board():
    """Give a new board its default statuses and status images (done on first request too)."""
    click.echo("The board is installed.")


def register(app):
    """Add the commands to `flask --app main`."""
    for command in (create_api_token, revoke_api_token, list_api_tokens, create_integration, list_integrations,
                    revoke_integration, seed_demo, rebuild_history, install_board, migrate_1x):
        app.cli.add_command(command)
