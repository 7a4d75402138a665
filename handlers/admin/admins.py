"""Who may change the board: the stored allowlist of Google accounts, added to and taken from here."""

from flask import g, render_template, url_for

from handlers.admin.blueprint import bp, submit
from handlers.admin.crud import Ask, asks_first
from handlers.admin.forms import AdminForm
from models import Admin


def _admins_page(form, status=200):
    """The allowlist under the form that adds to it."""
    return render_template("admin/admins.html", form=form, admins=Admin.ordered()), status


@bp.get("/admins")
def admins():
    """Who may change the board: the stored allowlist, the configured accounts and domain."""
    return _admins_page(AdminForm())


@bp.post("/admins")
def add_admin():
    """Put a Google account on the allowlist."""
    form = AdminForm()
    done = submit(
        form,
        lambda: Admin.allow(form.email.data, added_by=g.user.email),
        lambda allowed: f"{allowed[0].email} is {'now' if allowed[1] else 'already'} an admin.",
        url_for("admin.admins"),
    )
    return done or _admins_page(form, 400)


@asks_first("/admins/<email>/remove")
def remove_admin(email):
    """Take an account off the allowlist, after asking; nobody can remove themselves."""
    admin = Admin.find(email)
    return Ask(
        f"Remove {admin.email} from the admins?",
        "They can no longer change the board, and their API tokens stop working.",
        "Remove admin",
        cancel=url_for("admin.admins"),
        act=admin.remove,
        done=f"Removed {admin.email} from the admins.",
        refusal="You cannot remove yourself; ask another admin." if admin.email == g.user.email else None,
    )
