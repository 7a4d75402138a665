"""Configuration read from the environment (app.yaml's env_variables on App Engine), with the
secrets app.yaml names read from Secret Manager on App Engine (secret_settings.py)."""

import datetime
import os
import secrets

import secret_settings

# Seals OAuth 1.0a secrets on the emulator only; anyone can read it here.
DEVELOPMENT_TOKEN_SECRETS_KEY = "stashboard-local-development-only"


# The environment variable only the local development server sets (see LOCAL_DEVELOPMENT below).
LOCAL_DEVELOPMENT_VARIABLE = "STASHBOARD_LOCAL_DEVELOPMENT"


def _flag(value):
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def local_development(settings):
    """Whether the app runs under the local development server (`make run`, `make devserver`)."""
    return bool(settings.get("LOCAL_DEVELOPMENT")) and settings.get("GAE_ENV") != "standard"


def _list(value):
    return [item.strip().lower() for item in (value or "").split(",") if item.strip()]


def from_environment(env=os.environ, secret_source=None):
    """The app's settings: defaults overridden by environment variables and named secrets.

    `secret_source` reads secrets in place of Secret Manager (tests hand in a fake).
    """
    env, secret_problems = secret_settings.resolve(env, secret_source)
    on_emulator = bool(env.get("DATASTORE_EMULATOR_HOST"))
    on_app_engine = env.get("GAE_ENV") == "standard"
    return {
        # Sessions and CSRF tokens are signed with this; set it on App Engine
        # (env_variables or Secret Manager) so every instance agrees. Locally a random
        # key per process will do; on App Engine a random key would sign each instance's
        # sessions differently, so without one admin sign-in is switched off instead
        # (handlers/security.py) and SECRET_KEY_MISSING says why.
        "SECRET_KEY": env.get("SECRET_KEY") or (None if on_app_engine else secrets.token_hex(32)),
        "SECRET_KEY_MISSING": on_app_engine and not env.get("SECRET_KEY"),
        # {setting: why its Secret Manager secret could not be read}, for the logs.
        "SECRET_PROBLEMS": secret_problems,
        # Seals the secrets of OAuth 1.0a API tokens (models/oauth1.py). Locally, where
        # SECRET_KEY may be random per process, a fixed key lets the command line and the
        # server agree; on App Engine only a configured key will do.
        "TOKEN_SECRETS_KEY": env.get("TOKEN_SECRETS_KEY") or env.get("SECRET_KEY")
        or ("" if on_app_engine else DEVELOPMENT_TOKEN_SECRETS_KEY),
        # The development key is public: off the emulator (a workstation pointed at the real
        # Datastore) nothing may be sealed with it (handlers/auth/oauth1.py refuses).
        "TOKEN_SECRETS_KEY_PUBLIC": not on_emulator
        and not (env.get("TOKEN_SECRETS_KEY") or env.get("SECRET_KEY")),
        "GOOGLE_CLOUD_PROJECT": env.get("GOOGLE_CLOUD_PROJECT", ""),
        # Firestore in Datastore mode namespace; tests give each test its own.
        "NDB_NAMESPACE": env.get("NDB_NAMESPACE") or None,
        # Accounts that are admins whatever the stored allowlist says.
        "ADMIN_EMAILS": _list(env.get("ADMIN_EMAILS")),
        "SITE_NAME": env.get("SITE_NAME", "Stashboard"),
        "SITE_LOGO_TEXT": env.get("SITE_LOGO_TEXT", ""),
        "REPORT_PROBLEM_URL": env.get("REPORT_PROBLEM_URL", ""),
        "HISTORY_DAYS": int(env.get("HISTORY_DAYS", "5")),
        # --- the page cache (handlers/cache.py) -------------------------------
        # Public answers are rendered once per instance and kept until a write touches them.
        "PAGE_CACHE": env.get("PAGE_CACHE", "on").strip().lower() not in ("off", "0", "false", "no"),
        # How often an instance looks for other instances' writes (seconds).
        "CACHE_CHECK_SECONDS": float(env.get("CACHE_CHECK_SECONDS", "2")),
        # During a burst of writes, how often one answer may be rendered again (seconds; 0: on
        # every write). A write after a quiet moment still shows at once where it was made.
        "RENDER_EVERY_SECONDS": float(env.get("RENDER_EVERY_SECONDS", "1")),
        # The most the cache may hold per process: bytes (keys, headers, bodies and bookkeeping)
        # and answers. Answers about missing things (404s) have a small pool of their own.
        "CACHE_MAX_BYTES": int(env.get("CACHE_MAX_BYTES", str(16 * 1024 * 1024))),
        "CACHE_MAX_ENTRIES": int(env.get("CACHE_MAX_ENTRIES", "2000")),
        # --- load shedding (handlers/shedding.py) ------------------------------
        # Costly renders (pages of hundreds of events) at once per process, and how long a
        # request waits for a free slot before it is answered 503 with Retry-After.
        "COSTLY_RENDERS": int(env.get("COSTLY_RENDERS", "2")),
        "COSTLY_WAIT_SECONDS": float(env.get("COSTLY_WAIT_SECONDS", "0.25")),
        # The time they may take together: seconds of rendering per second of the clock per
        # process, saved up to COSTLY_BURST seconds (handlers/shedding.py, `Budget`).
        "COSTLY_SHARE": float(env.get("COSTLY_SHARE", "0.25")),
        "COSTLY_BURST": float(env.get("COSTLY_BURST", "1.5")),
        # Renders of public answers never made before (no older copy cached) at once per process:
        # one fewer than gunicorn's threads (app.yaml), so one is always free for cache hits.
        "FIRST_RENDERS": int(env.get("FIRST_RENDERS", "3")),
        # Seconds a Datastore RPC may take. A public read has a stale answer to fall back on, so
        # it gives up soon; the local emulator is slower than the Datastore, so it gets longer.
        "DATASTORE_READ_DEADLINE": float(env.get("DATASTORE_READ_DEADLINE") or (5 if on_emulator else 1)),
        "DATASTORE_WRITE_DEADLINE": float(env.get("DATASTORE_WRITE_DEADLINE") or 10),
        # Static files: as long as app.yaml lets App Engine's edge keep them.
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        # The API contract: request bodies over 1 MiB answer 413.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "GAE_ENV": env.get("GAE_ENV", ""),
        # --- admins' sign-in -------------------------------------------------
        # Google sign-in (OpenID Connect): an OAuth client of type "Web application" whose
        # redirect URI is <APP_URL>/auth/google/callback. Keep the secret out of the
        # repository: set it at deploy time or read it from Secret Manager.
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET", ""),
        # Every account of this Google Workspace domain is an admin (checked on the `hd` claim).
        "ADMIN_DOMAIN": env.get("ADMIN_DOMAIN", "").strip().lower(),
        # With Identity-Aware Proxy in front: its audience, `/projects/NUMBER/apps/PROJECT_ID`.
        "IAP_AUDIENCE": env.get("IAP_AUDIENCE", ""),
        # The app's public URL (https://status.example.com): the audience of Google ID
        # tokens accepted on the admin API, and the base of the sign-in redirect URI.
        "APP_URL": env.get("APP_URL", "").rstrip("/"),
        # The type-any-email sign-in page, like the old dev server's: emulator only, never on App Engine.
        "LOCAL_SIGN_IN": on_emulator and not on_app_engine,
        # Secure cookies need https, which local runs and tests on the emulator do not have.
        "SESSION_COOKIE_SECURE": not on_emulator,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": datetime.timedelta(hours=12),
        # A cookie only when the session changes, so reading a page never sets one.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # CSRF tokens live as long as the session: an incident page left open still posts.
        "WTF_CSRF_TIME_LIMIT": None,
        # Tests hand in a google.auth.transport.Request that never reaches Google.
        "GOOGLE_TRANSPORT": None,
        # --- notifications out and probes (workers/notify.py, workers/probes.py) ---
        # Cloud Tasks queue that pushes each notification at once on App Engine
        # (projects/PROJECT/locations/REGION/queues/NAME); without it the cron sweep sends them.
        "OUTBOX_QUEUE": env.get("OUTBOX_QUEUE", ""),
        # "cloud-tasks", "thread" (local runs), "sweep" (cron only); empty chooses by where it runs.
        "OUTBOX_DISPATCH": env.get("OUTBOX_DISPATCH", ""),
        # A failed delivery is tried again after this, then twice as long each time (at most an hour).
        "OUTBOX_BACKOFF_SECONDS": float(env.get("OUTBOX_BACKOFF_SECONDS", "30")),
        "OUTBOX_MAX_ATTEMPTS": int(env.get("OUTBOX_MAX_ATTEMPTS", "8")),
        "OUTBOX_TIMEOUT_SECONDS": float(env.get("OUTBOX_TIMEOUT_SECONDS", "10")),
        # How a delivery of alerts over many services, recorded and answered, is applied
        # (workers/alerts.py): "thread" (a thread of the instance that took it; the default), "request"
        # (before the answer: tests), "sweep" (only the cron); empty chooses by where it runs.
        "ALERTS_DISPATCH": env.get("ALERTS_DISPATCH", ""),
        # --- the local development server -------------------------------------
        # Set only by `make run` and `make devserver` (tools/run_local.py, tools/devserver.py):
        # it opens /_tasks/* to anyone and lets webhooks and probes reach local servers. Off
        # unless set, wherever the app runs (a missing GAE_ENV proves nothing), and never
        # honoured on App Engine.
        "LOCAL_DEVELOPMENT": _flag(env.get(LOCAL_DEVELOPMENT_VARIABLE)) and not on_app_engine,
        # Webhooks and probes may reach loopback, private and link-local addresses (the metadata
        # server) only when this is on: the local development server, or an explicit
        # ALLOW_PRIVATE_TARGETS=true for an intranet. Off by default (a guard against SSRF).
        "ALLOW_PRIVATE_TARGETS": _flag(env.get("ALLOW_PRIVATE_TARGETS"))
        or (_flag(env.get(LOCAL_DEVELOPMENT_VARIABLE)) and not on_app_engine),
        # --- mail to readers subscribed by e-mail (workers/mail.py) ----------
        # The SMTP server that sends it; SMTP_PASSWORD is a secret (SECRET_MANAGER_SECRETS on
        # App Engine). SMTP_TLS: "starttls", "ssl" or "none"; empty chooses by port (587, 465).
        "SMTP_HOST": env.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_TLS": env.get("SMTP_TLS", "").strip().lower(),
        # The most one message may take, connection and all (seconds).
        "SMTP_TIMEOUT_SECONDS": float(env.get("SMTP_TIMEOUT_SECONDS", "10")),
        # SMTP connections a mail run keeps open, each holding one message of the group claimed at
        # once: the rate grows with them; a server that allows fewer at once needs this lowered.
        "SMTP_CONNECTIONS": max(1, int(env.get("SMTP_CONNECTIONS", "50"))),
        # The provider's sending limit, messages a second per mail run (either sender); 0: none.
        "MAIL_RATE": max(0.0, float(env.get("MAIL_RATE") or 0)),
        "MAIL_FROM": env.get("MAIL_FROM", "Stashboard <status@localhost>"),
        # How mail leaves: "smtp" (the settings above) or "appengine", App Engine's Mail API
        # (workers/appengine_mail.py; app.yaml then needs `app_engine_apis: true`).
        "MAIL_SENDER": env.get("MAIL_SENDER", "smtp").strip().lower(),
        # Sign-ups allowed per client address per hour, and per e-mail address per day.
        "SIGN_UPS_PER_CLIENT_HOUR": int(env.get("SIGN_UPS_PER_CLIENT_HOUR", "5")),
        "SIGN_UPS_PER_ADDRESS_DAY": int(env.get("SIGN_UPS_PER_ADDRESS_DAY", "3")),
        # Readers' Slack, Teams and Discord channels may name any host (a local server standing in
        # for the chat): for tests and the local development server only, and honoured only there
        # (config.local_development); in production each chat's own hosts are required.
        "CHANNEL_HOSTS_ANY": _flag(env.get("CHANNEL_HOSTS_ANY")) and not on_app_engine,
    }
