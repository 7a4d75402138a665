"""Secret settings: read once at start from Secret Manager on App Engine, from the environment locally.

app.yaml never holds a secret, only the names of the secrets to read, as
`SETTING=secret-id` pairs in `SECRET_MANAGER_SECRETS`:

    SECRET_MANAGER_SECRETS: >-
      SECRET_KEY=stashboard-secret-key
      OIDC_CLIENT_SECRET=stashboard-oidc-client-secret

On App Engine (GAE_ENV=standard) each named secret's latest version, in the app's own
project, becomes that setting before config.py reads the settings; a full resource name
(`projects/P/secrets/S/versions/V`) pins another project or version. A setting already in
the environment is kept and its secret not read. Anywhere else (`make run`, tests,
dev_appserver.py) secrets come from the environment only, so nothing local calls Google.

What reads a secret is an object with `read(name) -> str`: `SecretManagerSource` (the
maintained google-cloud-secret-manager client, imported only when used, so importing
the app stays quick), or in tests a fake handed to `create_app(secret_source=…)`.
"""

import logging
import re

log = logging.getLogger(__name__)

SETTING = re.compile(r"^[A-Z][A-Z0-9_]*$")


class SecretManagerSource:
    """Secret Manager in `project`, through google-cloud-secret-manager (one client, made on first use)."""

    def __init__(self, project):
        self.project = project
        self._client = None

    def resource(self, name):
        """The full name of the version to read: the latest in this project unless `name` says otherwise."""
        if name.startswith("projects/"):
            return name if "/versions/" in name else f"{name}/versions/latest"
        return f"projects/{self.project}/secrets/{name}/versions/latest"

    def read(self, name):
        """The secret's value as text."""
        if self._client is None:
            from google.cloud import secretmanager

            self._client = secretmanager.SecretManagerServiceClient()
        response = self._client.access_secret_version(request={"name": self.resource(name)}, timeout=10)
        return response.payload.data.decode("utf-8")


def named_secrets(env):
    """{setting: secret name} from SECRET_MANAGER_SECRETS (pairs split by spaces, commas or lines)."""
    names = {}
    for pair in re.split(r"[\s,]+", env.get("SECRET_MANAGER_SECRETS", "").strip()):
        if not pair:
            continue
        setting, _, name = pair.partition("=")
        if not SETTING.match(setting) or not name:
            log.error("SECRET_MANAGER_SECRETS: %r is not SETTING=secret-name; ignored", pair)
            continue
        names[setting] = name
    return names


def resolve(env, source=None):
    """(the environment with the named secrets filled in, {setting: why it could not be read}).

    Secret Manager is read on App Engine, or wherever a `source` is handed in (tests).
    A secret that cannot be read leaves its setting unset; config.py and
    handlers/security.py decide what that means (no SECRET_KEY: admin sign-in is off).
    """
    names = named_secrets(env)
    if not names or (source is None and env.get("GAE_ENV") != "standard"):
        return dict(env), {}
    source = source or SecretManagerSource(env.get("GOOGLE_CLOUD_PROJECT", ""))
    resolved, problems = dict(env), {}
    for setting, name in names.items():
        if env.get(setting):
            log.warning("%s is set in the environment; Secret Manager's %s is not read", setting, name)
            continue
        try:
            value = source.read(name).strip()
        except Exception as error:  # any failure leaves the setting unset, said once
            problems[setting] = f"Secret Manager's {name} could not be read: {_reason(error)}"
            continue
        if value:
            resolved[setting] = value
        else:
            problems[setting] = f"Secret Manager's {name} is empty"
    for setting, problem in problems.items():
        if setting == "SECRET_KEY":
            continue  # handlers/security.py says it, in its one line
        # An optional secret never created (no Google sign-in, no integrations) is not an error.
        level = logging.INFO if "NotFound" in problem or problem.endswith("is empty") else logging.ERROR
        log.log(level, "%s is not set: %s", setting, problem)
    return resolved, problems


def _reason(error):
    """An error's class and first line: enough to tell NotFound from PermissionDenied."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
