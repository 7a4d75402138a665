"""Admins (an allowlist of Google accounts), the API tokens they hand to monitoring, and what
every machine credential shares (hashed, shown once, revocable, last use noted)."""

import datetime
import hashlib
import hmac
import secrets

from google.cloud import ndb

from models import audit
from models.audit import snapshot
from models.errors import Conflict, InvalidInput, NotFound
from models.fields import NAME_MAX, clean_text
from models.times import utcnow

TOKEN_PREFIX = "sbt"
# The public id of an OAuth 1.0a token: "o" and a digest of its access token, so that a
# signed request's token is found by key, and a 1.x token adopted twice is one entity.
OAUTH_ID_PREFIX = "o"
# Recording every use would make each API write also a token write; once a minute is enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def normalize_email(email):
    """Emails compare case-insensitively; refuse anything without an @, or with spaces or
    invisible characters (controls, format characters, unpaired surrogates: an address has none)."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or " " in email or not email.isprintable():
        shown = email if email.isprintable() else email.encode("unicode_escape").decode("ascii")
        raise InvalidInput(f"'{shown}' is not an email address.")
    return email


class Admin(ndb.Model):
    """An account allowed to change the board; the key id is its lower-case email."""

    added_by = ndb.StringProperty()
    created = ndb.DateTimeProperty(required=True)

    @classmethod
    def cache_purges(cls, key):
        """No public answer shows an admin."""
        return ()

    @property
    def email(self):
        """The admin's email address."""
        return self.key.id()

    @classmethod
    def is_listed(cls, email):
        """Whether `email` is on the stored allowlist."""
        try:
            return cls.get_by_id(normalize_email(email)) is not None
        except InvalidInput:
            return False

    @classmethod
    def find(cls, email):
        """The stored admin with this email, or NotFound (a malformed email is InvalidInput)."""
        admin = cls.get_by_id(normalize_email(email))
        if admin is None:
            raise NotFound(f"No admin '{email}'.")
        return admin

    @classmethod
    def ordered(cls):
        """Every stored admin, by email."""
        return cls.query().order(cls.key).fetch()

    @classmethod
    def allow(cls, email, added_by):
        """Put `email` on the allowlist; returns (admin, created?)."""
        key = ndb.Key(cls, normalize_email(email))
        existing = key.get()
        if existing is not None:
            return existing, False
        try:
            return audit.insert(cls(key=key, added_by=added_by, created=utcnow()), "admin"), True
        except Conflict:  # added by someone else meanwhile: the same outcome
            return key.get(), False

    def remove(self):
        """Take the account off the allowlist (its tokens stop working with it)."""
        return audit.change(self.key, "admin", lambda admin: "delete")


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def _oauth_id(access_token):
    return OAUTH_ID_PREFIX + hashlib.sha256(access_token.encode()).hexdigest()[:11]


def _secret_id(secret, prefix):
    """The public id inside a secret shaped `<prefix>_<id>_<random>`, or None for any other shape."""
    parts = secret.split("_", 2)
    if len(parts) == 3 and parts[0] == prefix and parts[1].isalnum():
        return parts[1]
    return None


class HashedCredential(ndb.Model):
    """What every credential handed to a machine shares: only a hash of its secret is stored.

    The key id is a short public id; the secret handed out is `<PREFIX>_<id>_<random>`,
    so a presented secret is found by key, never by a query. Shown once, revocable, and
    it notes when it was last used. Subclasses name their PREFIX and LABEL.
    """

    PREFIX = ""
    LABEL = "credential"

    @classmethod
    def cache_purges(cls, key):
        """No public answer shows a credential (API tokens, integrations)."""
        return ()

    name = ndb.StringProperty(required=True)
    secret_hash = ndb.TextProperty()  # absent only for OAuth 1.0a tokens (ApiToken)
    created = ndb.DateTimeProperty(required=True)
    last_used = ndb.DateTimeProperty()
    revoked = ndb.DateTimeProperty()

    @property
    def token_id(self):
        """The public id shown in lists and accepted by revoke."""
        return self.key.id()

    @classmethod
    def _new(cls, **fields):
        """A new credential and its secret (not stored yet): the secret is shown once."""
        token_id = secrets.token_hex(6)
        secret = f"{cls.PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
        return cls(id=token_id, secret_hash=_digest(secret), created=utcnow(), **fields), secret

    @classmethod
    def authenticate(cls, secret):
        """The live credential whose secret this is, or None; notes when it was last used."""
        token_id = _secret_id(secret or "", cls.PREFIX)
        if token_id is None:
            return None
        token = cls.get_by_id(token_id)
        if token is None or token.revoked is not None or not token.secret_hash:
            return None
        if not hmac.compare_digest(token.secret_hash, _digest(secret)):
            return None
        return token.used()

    def used(self):
        """Note that the credential was used just now (at most once a minute: each note is a write)."""
        now = utcnow()
        if self.last_used is None or now - self.last_used >= LAST_USED_RESOLUTION:
            self.last_used = now
            self.put()
        return self

    @classmethod
    def find(cls, token_or_id):
        """A credential by its public id or by its secret, or NotFound."""
        value = (token_or_id or "").strip()
        token_id = _secret_id(value, cls.PREFIX) or value
        token = cls.get_by_id(token_id) if token_id.isalnum() else None
        if token is None:
            raise NotFound(f"No {cls.LABEL} '{token_id}'.")
        return token

    def revoke(self):
        """Stop the credential working from its next use on."""

        def apply(token):
            if token.revoked is None:
                token.revoked = utcnow()
                return "update"
            return None

        return audit.change(self.key, self.LABEL, apply, view=without_secrets)


class ApiToken(HashedCredential):
    """A credential for the admin API, acting for the admin it was issued to: a bearer
    token, or an OAuth 1.0a access token and secret.

    An OAuth token's id is a digest of its access token (found by key too); its secret is
    needed to check signatures, so it is stored sealed (models/oauth1.py), never in clear.
    Both kinds are listed, revoked, noted as used and audited alike.
    """

    PREFIX = TOKEN_PREFIX
    LABEL = "API token"
    SECRETS = ("oauth_secret_sealed",)

    email = ndb.StringProperty(required=True)
    oauth_token = ndb.TextProperty()  # OAuth 1.0a: the access token (public) ...
    oauth_secret_sealed = ndb.TextProperty()  # ... and its secret, sealed

    @property
    def scheme(self):
        """How a client presents it: "OAuth 1.0a" or "Bearer"."""
        return "OAuth 1.0a" if self.oauth_token else "Bearer"

    @classmethod
    def issue(cls, email, name):
        """Create a token for `email`; returns (token, secret). The secret is shown once."""
        token, secret = cls._new(email=normalize_email(email), name=clean_text(name, "name", NAME_MAX))
        return audit.insert(token, cls.LABEL, view=without_secrets), secret

    @classmethod
    def issue_to_admin(cls, email, name, added_by):
        """Allowlist `email` if it is not yet, then issue it a token: (token, secret, allowlisted now?)."""
        admin, added = Admin.allow(email, added_by=added_by)
        token, secret = cls.issue(admin.email, name)
        return token, secret, added

    @classmethod
    def issue_oauth(cls, email, name, box):
        """Create an OAuth 1.0a token for `email`: (token, access token, secret); the secret is shown once."""
        access_token, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        return cls._insert_oauth(normalize_email(email), clean_text(name, "name", NAME_MAX), access_token, secret,
                                 box), access_token, secret

    @classmethod
    def issue_oauth_to_admin(cls, email, name, added_by, box):
        """Allowlist `email` if needed, then issue it an OAuth token: (token, access token, secret, added?)."""
        admin, added = Admin.allow(email, added_by=added_by)
        token, access_token, secret = cls.issue_oauth(admin.email, name, box)
        return token, access_token, secret, added

    @classmethod
    def adopt_oauth(cls, email, access_token, secret, name, box):
        """Keep an access token and secret issued elsewhere (a 1.x board's) working as they are."""
        return cls._insert_oauth(normalize_email(email), name, access_token, secret, box)

    @classmethod
    def _insert_oauth(cls, email, name, access_token, secret, box):
        token = cls(id=_oauth_id(access_token), email=email, name=name, oauth_token=access_token,
                    oauth_secret_sealed=box.seal(secret), created=utcnow())
        return audit.insert(token, cls.LABEL, view=without_secrets)

    @classmethod
    def adopted(cls, access_token):
        """The stored OAuth token with this access token (revoked or not), or None."""
        return cls.get_by_id(_oauth_id(access_token))

    @classmethod
    def for_oauth(cls, access_token):
        """The live OAuth token with this access token, or None."""
        token = cls.adopted(access_token) if access_token else None
        if token is None or token.revoked is not None or token.oauth_token != access_token:
            return None
        return token

    def oauth_secret(self, box):
        """The token's OAuth secret (None when it was sealed under another key)."""
        return box.open(self.oauth_secret_sealed) if self.oauth_secret_sealed else None

    @classmethod
    def newest(cls, email=None):
        """Tokens newest first, optionally one owner's."""
        tokens = cls.query(cls.email == email).fetch() if email else cls.query().fetch()
        return sorted(tokens, key=lambda t: t.created, reverse=True)


def without_secrets(token):
    """A credential's audit snapshot, without the secret's hash (nor any other secret it keeps)."""
    values = snapshot(token)
    for name in ("secret_hash", *getattr(token, "SECRETS", ())):
        values.pop(name, None)
    return values
