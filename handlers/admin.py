"""The admin UI at /admin: keep the board true, hand out API tokens, read the audit log.

Every view here needs a signed-in admin, and every change it makes is attributed to
that admin in the audit log; both are arranged once, for the whole blueprint.
"""

import contextlib

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from google.cloud import ndb

from handlers.credentials import is_admin, signed_in_user, user_is_admin
from handlers.forms import (
    AdminForm,
    ConfirmForm,
    EventForm,
    IncidentForm,
    ServiceForm,
    ServiceListForm,
    StatusForm,
    TokenForm,
    choices,
)
from models import (
    Actor,
    Admin,
    ApiToken,
    AuditEntry,
    Event,
    NotFound,
    Service,
    ServiceList,
    StashboardError,
    Status,
    StatusImage,
    acting_as,
)
from models.credentials import normalize_email

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_KINDS = ("Service", "Event", "Status", "ServiceList", "Board", "Admin", "ApiToken")
AUDIT_PAGE = 50
HISTORY_PAGE = 50


# --- who may come in -------------------------------------------------------


@bp.before_request
def require_admin():
    """Anonymous visitors go to sign-in; signed-in non-admins see why they cannot come in."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if not user_is_admin(user):
        return render_template("auth/not_admin.html", user=user, form=ConfirmForm()), 403
    g.user = user
    g.actor = Actor(email=user.email, via=user.via)
    # Entered here and left in teardown, so no write in any view can go unattributed.
    g.acting = contextlib.ExitStack()
    g.acting.enter_context(acting_as(g.actor))
    return None


@bp.teardown_request
def stop_acting(error=None):
    """Leave the admin's audit context at the end of the request."""
    acting = g.pop("acting", None)
    if acting is not None:
        acting.close()


@bp.context_processor
def admin_helpers():
    """Formatting helpers for the admin templates."""
    return {"when": when, "audit_changes": audit_changes, "confirm_form": ConfirmForm()}


def when(moment):
    """A stored (naive UTC) time as the admin pages show it."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "never"


def audit_changes(entry):
    """(field, before, after) rows: every value for a create or delete, the changed ones for an update."""
    before, after = entry.before or {}, entry.after or {}
    # The id is already in the entity column.
    names = sorted((set(before) | set(after)) - {"id"})
    if entry.action == "update":
        names = [name for name in names if before.get(name) != after.get(name)]
    return [(name, _shown(before.get(name)), _shown(after.get(name))) for name in names]


def _shown(value):
    """A stored value as the audit page prints it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _model_error(form, error):
    """Show a refused write on its form; the admin's input stays in the fields."""
    form.form_errors.append(error.message)


def _submit(form, save, done, back):
    """For a valid submission run `save()`: success flashes `done` and redirects to `back`.

    Answers None when the form is to be shown again, with a refusal as its error and
    what the admin typed kept. `done` and `back` may be functions of what `save` returns.
    """
    if not form.validate_on_submit():
        return None
    try:
        saved = save()
    except StashboardError as error:
        _model_error(form, error)
        return None
    flash(done(saved) if callable(done) else done, "success")
    return redirect(back(saved) if callable(back) else back)


def _form_status(form):
    """200 for a blank form, 400 for one sent back with errors."""
    return 400 if form.is_submitted() else 200


def _confirm(question, detail, button, cancel_url):
    """The page that asks before a delete; its form posts back to the same URL."""
    return render_template(
        "admin/confirm.html",
        form=ConfirmForm(),
        question=question,
        detail=detail,
        button=button,
        cancel_url=cancel_url,
    )


def _ask_then(question, detail, button, cancel_url, action, done, back):
    """GET asks before a change (nothing changes on GET); the confirmed POST carries it out."""
    if request.method == "GET":
        return _confirm(question, detail, button, cancel_url)
    return _after_post(action, done, back)


def _after_post(action, done, back):
    """Carry out a confirmed change; a refusal is a flash message, never a 500."""
    try:
        action()
    except StashboardError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(back)


def _status_choices(statuses, keep_label=None):
    pairs = [(s.slug, f"{s.name} ({s.level.title()})") for s in statuses]
    return choices(([("", keep_label)] if keep_label else []) + pairs)


def _list_choices():
    return choices([("", "No list")] + [(lst.slug, lst.name) for lst in ServiceList.ordered()])


# --- the board -------------------------------------------------------------


def _board_rows():
    """Services with their list, current status and newest event, fetched in batches."""
    services = Service.ordered()
    statuses = Status.by_key()
    default_key = Status.default_key()
    lists = {lst.key: lst for lst in ServiceList.ordered()}
    events = ndb.get_multi([s.current_event for s in services if s.current_event])
    events = {e.key: e for e in events if e is not None}
    return [
        {
            "service": service,
            "list": lists.get(service.service_list),
            "status": statuses.get(service.status_key(default_key)),
            "event": events.get(service.current_event),
        }
        for service in services
    ]


def _incident_form(formdata=None):
    form = IncidentForm(formdata=formdata)
    form.service.choices = choices([("", "Choose a service…")] + [(s.slug, s.name) for s in Service.ordered()])
    form.status.choices = _status_choices(Status.by_severity(), "Keep the current status")
    return form


@bp.get("/")
def index():
    """The admin home: the incident form on top, then every service and its current status."""
    return render_template("admin/index.html", form=_incident_form(), rows=_board_rows())


@bp.post("/")
def post_incident():
    """Post an event for any service from the home page (the one-form incident update)."""
    form = _incident_form(request.form)

    def post():
        service = Service.get_or_404(form.service.data)
        Event.post(service, form.message.data, form.status.data or None, form.informational.data)
        return service

    done = _submit(form, post, lambda service: f"Posted on {service.name}.", url_for("admin.index"))
    return done or (render_template("admin/index.html", form=form, rows=_board_rows()), 400)


# --- services --------------------------------------------------------------


@bp.route("/services/new", methods=["GET", "POST"])
def create_service():
    """Add a service."""
    form = ServiceForm()
    form.list.choices = _list_choices()
    done = _submit(
        form,
        lambda: Service.create(form.name.data, form.description.data, form.list.data or None),
        lambda service: f"Created {service.name}.",
        lambda service: url_for("admin.service", service_id=service.slug),
    )
    return done or (render_template("admin/form.html", form=form, title="New service"), _form_status(form))


def _event_form(formdata=None):
    form = EventForm(formdata=formdata)
    form.status.choices = _status_choices(Status.by_severity(), "Keep the current status")
    return form


def _service_page(service, form, status=200):
    statuses = Status.by_key()
    events = Event.for_service(service.key, limit=HISTORY_PAGE)
    current = statuses.get(service.status_key(Status.default_key()))
    page = render_template(
        "admin/service.html",
        service=service,
        service_list=service.service_list.get() if service.service_list else None,
        current=current,
        events=events,
        statuses=statuses,
        form=form,
    )
    return page, status


@bp.get("/services/<service_id>")
def service(service_id):
    """One service: post an event, read and prune its history."""
    return _service_page(Service.get_or_404(service_id), _event_form())


@bp.post("/services/<service_id>/events")
def post_event(service_id):
    """Post an event (status + message) or an informational note for this service."""
    service = Service.get_or_404(service_id)
    form = _event_form(request.form)
    done = _submit(
        form,
        lambda: Event.post(service, form.message.data, form.status.data or None, form.informational.data),
        f"Posted on {service.name}.",
        url_for("admin.service", service_id=service.slug),
    )
    return done or _service_page(service, form, 400)


@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
def edit_service(service_id):
    """Rename a service, describe it, or move it to another list."""
    service = Service.get_or_404(service_id)
    current_list = service.service_list.id() if service.service_list else ""
    form = ServiceForm(data={"name": service.name, "description": service.description, "list": current_list})
    form.list.choices = _list_choices()
    done = _submit(
        form,
        lambda: service.update(name=form.name.data, description=form.description.data, list=form.list.data),
        lambda saved: f"Saved {saved.name}.",
        url_for("admin.service", service_id=service.slug),
    )
    title = f"Edit {service.name}"
    return done or (render_template("admin/form.html", form=form, title=title), _form_status(form))


@bp.route("/services/<service_id>/delete", methods=["GET", "POST"])
def delete_service(service_id):
    """Delete a service and all its events, after asking."""
    service = Service.get_or_404(service_id)
    return _ask_then(
        f"Delete {service.name}?",
        "The service and its whole history of events are deleted. This cannot be undone.",
        "Delete service",
        url_for("admin.service", service_id=service.slug),
        service.delete,
        f"Deleted {service.name}.",
        url_for("admin.index"),
    )


@bp.route("/services/<service_id>/events/<sid>/delete", methods=["GET", "POST"])
def delete_event(service_id, sid):
    """Delete a wrong event, after asking; the service's status follows its newest remaining event."""
    service = Service.get_or_404(service_id)
    event = Event.get_for_service(service.key, sid)
    back = url_for("admin.service", service_id=service.slug)
    return _ask_then(
        f"Delete this event of {service.name}?",
        f"“{event.message}” ({when(event.timestamp)})",
        "Delete event",
        back,
        event.delete,
        "Deleted the event.",
        back,
    )


# --- statuses --------------------------------------------------------------


def _status_form(**kwargs):
    form = StatusForm(**kwargs)
    form.image.choices = choices((image.name, image.name) for image in StatusImage.all())
    return form


@bp.get("/statuses/")
def statuses():
    """Every status, least severe first, with which one is the default."""
    return render_template(
        "admin/statuses.html", statuses=Status.by_severity(), default_key=Status.default_key()
    )


@bp.route("/statuses/new", methods=["GET", "POST"])
def create_status():
    """Add a status: name, description, level, image; optionally make it the default."""
    form = _status_form()
    done = _submit(
        form,
        lambda: Status.create(
            form.name.data, form.description.data, form.image.data, level=form.level.data, default=form.default.data
        ),
        lambda status: f"Created the status {status.name}.",
        url_for("admin.statuses"),
    )
    return done or (render_template("admin/status_form.html", form=form, title="New status"), _form_status(form))


@bp.route("/statuses/<status_id>/edit", methods=["GET", "POST"])
def edit_status(status_id):
    """Change a status; ticking "default" makes it the board's default."""
    status = Status.get_or_404(status_id)
    data = {
        "name": status.name,
        "description": status.description,
        "level": status.level,
        "image": status.image,
        "default": status.key == Status.default_key(),
    }
    form = _status_form(data=data)
    done = _submit(
        form,
        lambda: status.update(
            name=form.name.data,
            description=form.description.data,
            image=form.image.data,
            level=form.level.data,
            default=form.default.data,
        ),
        lambda saved: f"Saved the status {saved.name}.",
        url_for("admin.statuses"),
    )
    title = f"Edit {status.name}"
    return done or (render_template("admin/status_form.html", form=form, title=title), _form_status(form))


@bp.route("/statuses/<status_id>/delete", methods=["GET", "POST"])
def delete_status(status_id):
    """Delete a status no event uses and that is not the default, after asking."""
    status = Status.get_or_404(status_id)
    return _ask_then(
        f"Delete the status {status.name}?",
        "Only a status that no event uses and that is not the default can be deleted.",
        "Delete status",
        url_for("admin.statuses"),
        status.delete,
        f"Deleted the status {status.name}.",
        url_for("admin.statuses"),
    )


# --- service lists ---------------------------------------------------------


@bp.get("/lists/")
def lists():
    """Every service list with its services; services move between lists from their edit page."""
    rows = [(lst, Service.in_list(lst.key)) for lst in ServiceList.ordered()]
    unlisted = [s for s in Service.ordered() if s.service_list is None]
    return render_template("admin/lists.html", rows=rows, unlisted=unlisted)


@bp.route("/lists/new", methods=["GET", "POST"])
def create_list():
    """Add a service list."""
    form = ServiceListForm()
    done = _submit(
        form,
        lambda: ServiceList.create(form.name.data, form.description.data),
        lambda service_list: f"Created the list {service_list.name}.",
        url_for("admin.lists"),
    )
    return done or (render_template("admin/form.html", form=form, title="New service list"), _form_status(form))


@bp.route("/lists/<list_id>/edit", methods=["GET", "POST"])
def edit_list(list_id):
    """Rename or describe a service list."""
    service_list = ServiceList.get_or_404(list_id)
    form = ServiceListForm(data={"name": service_list.name, "description": service_list.description})
    done = _submit(
        form,
        lambda: service_list.update(name=form.name.data, description=form.description.data),
        lambda saved: f"Saved the list {saved.name}.",
        url_for("admin.lists"),
    )
    title = f"Edit {service_list.name}"
    return done or (render_template("admin/form.html", form=form, title=title), _form_status(form))


@bp.route("/lists/<list_id>/delete", methods=["GET", "POST"])
def delete_list(list_id):
    """Delete a service list, after asking; its services stay, with no list."""
    service_list = ServiceList.get_or_404(list_id)
    return _ask_then(
        f"Delete the list {service_list.name}?",
        "Its services are kept, with no list.",
        "Delete list",
        url_for("admin.lists"),
        service_list.delete,
        f"Deleted the list {service_list.name}.",
        url_for("admin.lists"),
    )


# --- the audit log ---------------------------------------------------------


@bp.get("/audit")
def audit():
    """Every change, newest first, filterable by entity kind and by actor."""
    kind = request.args.get("kind", "")
    if kind and kind not in AUDIT_KINDS:
        abort(400, f"Unknown kind '{kind}'.")
    actor = request.args.get("actor", "").strip()
    cursor = None
    if request.args.get("cursor"):
        try:
            cursor = ndb.Cursor(urlsafe=request.args["cursor"])
        except Exception:  # a mangled link: any decoding error means the same thing
            abort(400, "That page link is not valid.")
    entries, next_cursor, more = AuditEntry.newest(kind or None, actor or None, AUDIT_PAGE, cursor)
    older = None
    if more and next_cursor and len(entries) == AUDIT_PAGE:
        older = url_for("admin.audit", kind=kind or None, actor=actor or None, cursor=next_cursor.urlsafe().decode())
    return render_template(
        "admin/audit.html", entries=entries, kinds=AUDIT_KINDS, kind=kind, actor=actor, older=older
    )


# --- API credentials -------------------------------------------------------


def _credentials_page(form, secret=None, token=None, status=200):
    page = render_template(
        "admin/credentials.html", form=form, tokens=ApiToken.newest(), secret=secret, new_token=token
    )
    return page, status


@bp.get("/credentials")
def credentials():
    """API tokens: who owns them, when they were made and last used; create and revoke."""
    return _credentials_page(TokenForm())


@bp.post("/credentials")
def create_token():
    """Issue a named token to the signed-in admin; the secret is shown on this answer only."""
    form = TokenForm()
    if form.validate_on_submit():
        email = g.user.email
        try:
            # Tokens are checked against the allowlist (no hd claim to vouch for a domain).
            if not is_admin(email):
                Admin.allow(email, added_by=email)
            token, secret = ApiToken.issue(email, form.name.data)
        except StashboardError as error:
            _model_error(form, error)
        else:
            # Rendered, not redirected: the secret must not travel in the session cookie.
            return _credentials_page(TokenForm(formdata=None), secret=secret, token=token, status=201)
    return _credentials_page(form, status=400)


@bp.route("/credentials/<token_id>/revoke", methods=["GET", "POST"])
def revoke_token(token_id):
    """Revoke a token, after asking: its next use is refused."""
    token = ApiToken.find(token_id)
    return _ask_then(
        f"Revoke the token “{token.name}” of {token.email}?",
        "Whatever uses it is refused from its next request on. This cannot be undone.",
        "Revoke token",
        url_for("admin.credentials"),
        token.revoke,
        f"Revoked the token “{token.name}”.",
        url_for("admin.credentials"),
    )


# --- admins ----------------------------------------------------------------


def _admins_page(form, status=200):
    page = render_template("admin/admins.html", form=form, admins=Admin.ordered())
    return page, status


@bp.get("/admins")
def admins():
    """Who may change the board: the stored allowlist, the configured accounts and domain."""
    return _admins_page(AdminForm())


@bp.post("/admins")
def add_admin():
    """Put a Google account on the allowlist."""
    form = AdminForm()
    done = _submit(
        form,
        lambda: Admin.allow(form.email.data, added_by=g.user.email),
        lambda allowed: f"{allowed[0].email} is {'now' if allowed[1] else 'already'} an admin.",
        url_for("admin.admins"),
    )
    return done or _admins_page(form, 400)


@bp.route("/admins/<email>/remove", methods=["GET", "POST"])
def remove_admin(email):
    """Take an account off the allowlist, after asking; nobody can remove themselves."""
    admin = Admin.get_by_id(normalize_email(email))
    if admin is None:
        raise NotFound(f"No admin '{email}'.")
    if admin.email == g.user.email:
        flash("You cannot remove yourself; ask another admin.", "error")
        return redirect(url_for("admin.admins"))
    return _ask_then(
        f"Remove {admin.email} from the admins?",
        "They can no longer change the board, and their API tokens stop working.",
        "Remove admin",
        url_for("admin.admins"),
        admin.remove,
        f"Removed {admin.email} from the admins.",
        url_for("admin.admins"),
    )


def register(app):
    """Mount the admin UI."""
    app.register_blueprint(bp)
