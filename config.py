"""Configuration read from the environment (app.yaml's env_variables on App Engine)."""

import os
import secrets


def _list(value):
    return [item.strip().lower() for item in (value or "").split(",") if item.strip()]


def from_environment(env=os.environ):
    """The app's settings: defaults overridden by environment variables."""
    return {
        # Sessions and CSRF tokens are signed with this; set it on App Engine
        # (env_variables or Secret Manager) so every instance agrees.
        "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_hex(32),
        "GOOGLE_CLOUD_PROJECT": env.get("GOOGLE_CLOUD_PROJECT", ""),
        # Firestore in Datastore mode namespace; tests give each test its own.
        "NDB_NAMESPACE": env.get("NDB_NAMESPACE") or None,
        # Accounts that are admins whatever the stored allowlist says.
        "ADMIN_EMAILS": _list(env.get("ADMIN_EMAILS")),
        "SITE_NAME": env.get("SITE_NAME", "Stashboard"),
        "SITE_LOGO_TEXT": env.get("SITE_LOGO_TEXT", ""),
        "REPORT_PROBLEM_URL": env.get("REPORT_PROBLEM_URL", ""),
        "HISTORY_DAYS": int(env.get("HISTORY_DAYS", "5")),
        # The API contract: request bodies over 1 MiB answer 413.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "GAE_ENV": env.get("GAE_ENV", ""),
    }
