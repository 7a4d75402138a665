"""Integrations: the credentials monitoring tools post alerts with, and how their alerts map to the board.

Each integration is one machine credential (hashed, shown once, revocable, last use
noted: models/credentials.py) of one kind (Alertmanager, PagerDuty, generic JSON,
Nagios/Icinga) with its mapping rule: which label or field names the service, a table
from names to service ids, and a table from severities to statuses. Changes made by an
alert are attributed to the integration in the audit log.
"""

import re

from google.cloud import ndb

from models import audit
from models.audit import Actor
from models.credentials import HashedCredential, without_secrets
from models.errors import InvalidInput
from models.fields import NAME_MAX, SLUG, clean_text, slug_for
from models.sealed import SealedTextProperty
from models.status import Status

KINDS = {
    "alertmanager": "Prometheus Alertmanager",
    "pagerduty": "PagerDuty (V3 webhooks)",
    "generic": "Generic JSON",
    "nagios": "Nagios / Icinga",
}
# The service label Alertmanager users set most; PagerDuty and Nagios name the service themselves.
DEFAULT_SERVICE_LABEL = "service"
# Alertmanager's usual severity labels, PagerDuty's urgencies, Nagios' states, the generic form's statuses.
DEFAULT_SEVERITIES = {"critical": "down", "error": "down", "warning": "warning", "high": "down", "low": "warning",
                      "unknown": "warning", "unreachable": "down", "down": "down"}
DEFAULT_STATUS = "down"
LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
RULE_LINES_MAX = 200


def parse_table(text, field, values_are_statuses=False):
    """`name = id` lines (blank lines and `#` comments skipped) as a dict; ids must be slugs
    (and existing statuses when `values_are_statuses`)."""
    table = {}
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) > RULE_LINES_MAX:
        raise InvalidInput(f"'{field}' may have at most {RULE_LINES_MAX} lines.")
    for line in lines:
        name, equals, value = line.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not equals or not name or not SLUG.match(value):
            raise InvalidInput(f"'{field}': each line is 'name = id' (an id like web-api); not '{line[:80]}'.")
        table[name[:NAME_MAX]] = value
    if values_are_statuses:
        for value in set(table.values()):
            Status.get_or_404(value)
    return table


def format_table(table):
    """A table back as the `name = id` lines the admin edits."""
    return "\n".join(f"{name} = {value}" for name, value in sorted((table or {}).items()))


class Integration(HashedCredential):
    """A monitoring tool allowed to post alerts, with its mapping rule. `sbi_<id>_<random>`."""

    PREFIX = "sbi"
    LABEL = "integration"
    # PagerDuty's signing secret must be kept to check signatures; never shown or audited.
    SECRETS = ("signing_secret",)

    kind = ndb.StringProperty(required=True, choices=tuple(KINDS))
    created_by = ndb.StringProperty()
    service_label = ndb.StringProperty(default=DEFAULT_SERVICE_LABEL)
    services = ndb.JsonProperty()  # {name as the alert gives it (lower case): service id}
    severities = ndb.JsonProperty()  # {severity (lower case): status id}
    default_status = ndb.StringProperty(default=DEFAULT_STATUS)
    signing_secret = SealedTextProperty()

    @classmethod
    def issue(cls, name, kind, created_by, service_label=None, services="", severities="", default_status=None,
              signing_secret=None):
        """Create an integration from the admin's form values; returns (integration, secret), shown once."""
        if kind not in KINDS:
            raise InvalidInput(f"'kind' must be one of {', '.join(KINDS)}.")
        fields = cls.rule_fields(service_label, services, severities, default_status)
        secret_text = (signing_secret or "").strip()
        if kind == "pagerduty" and not secret_text:
            raise InvalidInput("A PagerDuty integration needs the webhook's signing secret, to check signatures.")
        integration, secret = cls._new(
            name=clean_text(name, "name", NAME_MAX), kind=kind, created_by=created_by,
            signing_secret=secret_text or None, **fields,
        )
        return audit.insert(integration, cls.LABEL, view=without_secrets), secret

    @staticmethod
    def rule_fields(service_label, services, severities, default_status):
        """The mapping rule's stored fields from the form's text, checked."""
        label = (service_label or DEFAULT_SERVICE_LABEL).strip()
        if not LABEL.match(label):
            raise InvalidInput("'service_label' must be a label name (letters, digits, _ . -).")
        default = (default_status or DEFAULT_STATUS).strip()
        Status.get_or_404(default)
        return {
            "service_label": label,
            "services": parse_table(services, "services"),
            "severities": parse_table(severities, "severities", values_are_statuses=True),
            "default_status": default,
        }

    def change_rule(self, service_label, services, severities, default_status):
        """Replace the mapping rule (audited)."""
        fields = self.rule_fields(service_label, services, severities, default_status)

        def apply(integration):
            integration.populate(**fields)
            return "update"

        return audit.change(self.key, self.LABEL, apply, view=without_secrets)

    @classmethod
    def newest(cls):
        """Every integration, newest first."""
        return sorted(cls.query().fetch(), key=lambda i: i.created, reverse=True)

    @property
    def actor(self):
        """Who the audit log says made a change an alert of this integration caused."""
        return Actor(email=f"integration:{self.token_id}", via="integration", token_name=self.name)

    def service_for(self, name):
        """The service id an alert's service name maps to (the table first, else its slug)."""
        name = (name or "").strip()
        if not name:
            return None
        mapped = (self.services or {}).get(name.lower()[:NAME_MAX])
        if mapped:
            return mapped
        try:
            return slug_for(name)
        except InvalidInput:
            return None

    def status_for(self, severity):
        """The status id an alert of this severity shows while it is open."""
        severity = (severity or "").strip().lower()
        table = {**DEFAULT_SEVERITIES, **(self.severities or {})}
        if severity in table:
            return table[severity]
        if SLUG.match(severity) and Status.get_by_id(severity) is not None:  # a status named outright
            return severity
        return self.default_status or DEFAULT_STATUS
