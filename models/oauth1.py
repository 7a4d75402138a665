"""What OAuth 1.0a signed requests need stored: token secrets kept sealed, and used nonces.

HMAC-SHA1 signatures are checked by signing the request again with the token's secret,
so the server must be able to read the secret: a hash (what bearer tokens get) would not
do. Secrets are stored sealed instead (Fernet: AES-128-CBC with HMAC-SHA256) under a key
derived from the app's TOKEN_SECRETS_KEY setting (by default SECRET_KEY, which on App
Engine comes from Secret Manager), so the Datastore alone, an export of it or a backup
does not reveal them. Changing that key makes OAuth secrets unreadable: issue new ones.
"""

import base64
import datetime
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from google.api_core import exceptions as api_exceptions
from google.cloud import ndb

from models.errors import InvalidInput
from models.times import utcnow

# How far a request's oauth_timestamp may be from now, either way (seconds).
TIMESTAMP_LIFETIME = 300
# Used nonces are kept until no request carrying them could be accepted any more.
NONCE_KEPT = datetime.timedelta(seconds=2 * TIMESTAMP_LIFETIME)


class SecretBox:
    """Seals and opens token secrets with a key derived from `key_material` (a string)."""

    def __init__(self, key_material, info=b"stashboard oauth1 token secrets"):
        if not key_material:
            raise InvalidInput("OAuth token secrets need TOKEN_SECRETS_KEY (or SECRET_KEY) to be set.")
        # `info` gives each use of the one setting a key of its own (models/sealed.py).
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key_material.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret):
        """The sealed form of `secret`, to store."""
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed):
        """The secret inside `sealed`, or None when another key sealed it (or it was tampered with)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            return None


class OAuthNonce(ndb.Model):
    """A nonce a verified request used, kept while its timestamp could still be accepted.

    The key is a digest of (access token, timestamp, nonce), so every instance sees the
    same entity and a replay on another instance is refused too. `expires` is for the
    Datastore's TTL policy, which deletes used nonces once they cannot matter (README).
    """

    expires = ndb.DateTimeProperty(required=True)

    @classmethod
    def key_for(cls, access_token, timestamp, nonce):
        """The key of one use of a nonce."""
        digest = hashlib.sha256(f"{access_token}\n{timestamp}\n{nonce}".encode()).hexdigest()
        return ndb.Key(cls, digest)

    @classmethod
    def seen(cls, access_token, timestamp, nonce):
        """Whether a verified request has already used this nonce with this token and timestamp."""
        return cls.key_for(access_token, timestamp, nonce).get() is not None

    @classmethod
    def claim(cls, access_token, timestamp, nonce):
        """Record the nonce's use; False when another request claimed it first (a replay)."""
        key = cls.key_for(access_token, timestamp, nonce)

        @ndb.transactional(retries=0)
        def txn():
            if key.get() is not None:
                return False
            cls(key=key, expires=utcnow() + NONCE_KEPT).put()
            return True

        try:
            return txn()
        except (api_exceptions.Aborted, api_exceptions.Conflict):  # a concurrent claim won the commit
            return False
