"""Integrations: the credentials monitoring tools post alerts with, and their mapping rules."""

from flask import g, render_template, url_for

from handlers.admin.blueprint import bp, refused, submit
from handlers.admin.crud import Ask, asks_first
from handlers.admin.forms import IntegrationForm, choices
from models import StashboardError, Status
from models.integrations import KINDS, Integration, format_table


def _form(**data):
    """The integration form with the statuses offered for unmapped severities."""
    form = IntegrationForm(data=data or None)
    form.default_status.choices = choices((s.slug, s.name) for s in Status.by_severity())
    if not form.default_status.data:
        form.default_status.data = "down"
    return form


def _page(form, secret=None, integration=None, status=200):
    """Every integration, newest first, under the form that creates one (and the new secret, once)."""
    return render_template("admin/integrations.html", form=form, integrations=Integration.newest(), kinds=KINDS,
                           secret=secret, new_integration=integration), status


@bp.get("/integrations")
def integrations():
    """Integrations: their kind, rule, when made and last used; create, edit the rule, revoke."""
    return _page(_form())


@bp.post("/integrations")
def create_integration():
    """Create an integration; its credential is shown on this answer only."""
    form = _form()
    if form.validate_on_submit():
        try:
            integration, secret = Integration.issue(
                form.name.data, form.kind.data, created_by=g.user.email, service_label=form.service_label.data,
                services=form.services.data, severities=form.severities.data,
                default_status=form.default_status.data, signing_secret=form.signing_secret.data)
        except StashboardError as error:
            refused(form, error)
        else:
            # Rendered, not redirected: the secret must not travel in the session cookie.
            return _page(_form(), secret=secret, integration=integration, status=201)
    return _page(form, status=400)


@bp.route("/integrations/<token_id>/edit", methods=["GET", "POST"])
def edit_integration(token_id):
    """Change an integration's mapping rule (its credential stays the same)."""
    integration = Integration.find(token_id)
    form = _form(service_label=integration.service_label, services=format_table(integration.services),
                 severities=format_table(integration.severities), default_status=integration.default_status)
    del form.name, form.kind, form.signing_secret  # fixed at creation
    save = lambda: integration.change_rule(form.service_label.data, form.services.data,  # noqa: E731
                                           form.severities.data, form.default_status.data)
    done = submit(form, save, f"Saved the rule of “{integration.name}”.", url_for("admin.integrations"))
    if done:
        return done
    title = f"Edit the rule of {integration.name}"
    return render_template("admin/form.html", form=form, title=title), 400 if form.errors or form.form_errors else 200


@asks_first("/integrations/<token_id>/revoke")
def revoke_integration(token_id):
    """Revoke an integration's credential, after asking: its next alert is refused."""
    integration = Integration.find(token_id)
    return Ask(
        f"Revoke the integration “{integration.name}”?",
        "Alerts it sends are refused from the next one on. This cannot be undone.",
        "Revoke integration",
        cancel=url_for("admin.integrations"),
        act=integration.revoke,
        done=f"Revoked the integration “{integration.name}”.",
    )
