"""The audit log: every change to the board, who made it and through which credential."""

from flask import abort, render_template, request, url_for

from handlers.admin.blueprint import bp
from models import AuditEntry

AUDIT_KINDS = ("Service", "Event", "Status", "ServiceList", "Board", "Admin", "ApiToken")
AUDIT_PAGE = 50


@bp.get("/audit")
def audit():
    """Every change, newest first, filterable by entity kind and by actor."""
    kind = request.args.get("kind", "")
    if kind and kind not in AUDIT_KINDS:
        abort(400, f"Unknown kind '{kind}'.")
    actor = request.args.get("actor", "").strip()
    entries, cursor, more = AuditEntry.newest(kind or None, actor or None, AUDIT_PAGE, request.args.get("cursor"))
    older = None
    if more and cursor and len(entries) == AUDIT_PAGE:
        older = url_for("admin.audit", kind=kind or None, actor=actor or None, cursor=cursor.urlsafe().decode())
    return render_template("admin/audit.html", entries=entries, kinds=AUDIT_KINDS, kind=kind, actor=actor, older=older)
