"""OAuth 1.0a signed requests on the admin API, as every Stashboard 1.x client signs its writes.

The original docs' example (python-oauth2), the stashboard-ruby gem, requests-oauthlib
and Perl's Net::OAuth sign with HMAC-SHA1, consumer key and secret `anonymous` /
`anonymous`, and an access token with its secret from the admin's credentials page; the
signature parameters travel in the `Authorization: OAuth …` header, the form body or the
query string. oauthlib checks the signature; this module supplies what it looks up: the
token's secret (models/credentials.py) and the nonces already used (models/oauth1.py).
"""

import time
from urllib.parse import urlencode

from flask import abort, current_app, request
from oauthlib.oauth1 import RequestValidator, ResourceEndpoint
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256

from models import ApiToken, InvalidInput
from models.oauth1 import TIMESTAMP_LIFETIME, OAuthNonce, SecretBox

# What every Stashboard 1.x client is configured with (the old App Engine OAuth provider's).
CONSUMER_KEY = CONSUMER_SECRET = "anonymous"
FORM = "application/x-www-form-urlencoded"
# Printable ASCII of a reasonable length: what access tokens and nonces of any client look like.
MAX_PARAMETER = 200


def secret_box():
    """The sealer of OAuth token secrets, keyed by this deployment's TOKEN_SECRETS_KEY; refused
    off the emulator when that would be the public development key."""
    if current_app.config.get("TOKEN_SECRETS_KEY_PUBLIC"):
        raise InvalidInput(
            "TOKEN_SECRETS_KEY is not set, so OAuth 1.0a secrets would be sealed with the public development "
            "key, which anyone can read. Set TOKEN_SECRETS_KEY to this deployment's key (the one App Engine "
            "reads) and run the command again; nothing was changed.")
    return SecretBox(current_app.config.get("TOKEN_SECRETS_KEY"))


def _printable(value, longest=MAX_PARAMETER):
    return bool(value) and len(value) <= longest and value.isascii() and value.isprintable()


class Validator(RequestValidator):
    """What oauthlib asks of the board about one request; remembers what it found for the caller."""

    enforce_ssl = False  # App Engine terminates TLS; `secure: always` in app.yaml redirects http
    timestamp_lifetime = TIMESTAMP_LIFETIME
    dummy_client = "dummy-client"
    dummy_access_token = "dummy-access-token"

    def __init__(self, box):
        super().__init__()
        self.box = box
        self.token = None
        self.replayed = False

    @property
    def allowed_signature_methods(self):
        return (SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256)

    def check_client_key(self, client_key):
        return _printable(client_key)

    def check_access_token(self, request_token):
        return _printable(request_token)

    def check_nonce(self, nonce):
        # python-oauth2 sends 8 digits: shorter than oauthlib's default rule allows.
        return _printable(nonce, 100)

    def validate_client_key(self, client_key, request):
        return client_key == CONSUMER_KEY

    def get_client_secret(self, client_key, request):
        return CONSUMER_SECRET

    def validate_access_token(self, client_key, token, request):
        self.token = ApiToken.for_oauth(token)
        return self.token is not None

    def get_access_token_secret(self, client_key, token, request):
        secret = self.token.oauth_secret(self.box) if self.token is not None else None
        # oauthlib signs with a dummy secret for unknown tokens, so failures take the same time.
        return secret or "dummy-secret"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, request_token=None,
                                     access_token=None):
        self.replayed = OAuthNonce.seen(access_token, timestamp, nonce)
        return not self.replayed

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True


def is_signed():
    """Whether this request carries OAuth 1.0a parameters (header, form body or query string)."""
    if request.headers.get("Authorization", "").lstrip().lower().startswith("oauth "):
        return True
    if "oauth_signature" in request.args:
        return True
    return request.mimetype == FORM and "oauth_signature" in request.form


def verified_token():
    """The live ApiToken that signed this request, or abort with 401 saying what was wrong.

    A verified request's nonce is recorded (across instances, in the Datastore) before the
    request goes on, so the same signed request is refused if it comes again.
    """
    validator = Validator(secret_box())
    headers = {"Authorization": request.headers["Authorization"]} if "Authorization" in request.headers else {}
    body = None
    if request.mimetype == FORM:
        headers["Content-Type"] = FORM
        # The parsed fields, encoded again: oauthlib signs the decoded parameters, not the bytes.
        body = urlencode(list(request.form.items(multi=True)))
    valid, signed = ResourceEndpoint(validator).validate_protected_resource_request(
        request.url, http_method=request.method, body=body, headers=headers)
    if not valid:
        abort(401, _why(validator, signed))
    if not OAuthNonce.claim(signed.resource_owner_key, signed.timestamp, signed.nonce):
        abort(401, "The OAuth nonce was already used with this timestamp: a replayed request is refused.")
    return validator.token.used()


def _why(validator, signed):
    """The clearest reason a signed request was refused."""
    if signed is None or not signed.signature:
        return "The OAuth 1.0a parameters are malformed or incomplete."
    try:
        stale = abs(time.time() - int(signed.timestamp)) > TIMESTAMP_LIFETIME
    except (TypeError, ValueError):
        stale = True
    if stale:
        return f"The OAuth timestamp is missing or more than {TIMESTAMP_LIFETIME} seconds from now: check the clock."
    if validator.replayed:
        return "The OAuth nonce was already used with this timestamp: a replayed request is refused."
    log = signed.validator_log
    if log.get("client") is False or signed.client_key != CONSUMER_KEY:
        return f"The OAuth consumer key must be '{CONSUMER_KEY}'."
    if log.get("resource_owner") is False:
        return "The OAuth access token is not valid: it is unknown, malformed or revoked."
    if signed.signature_method not in validator.allowed_signature_methods:
        return "Sign OAuth requests with HMAC-SHA1 (or HMAC-SHA256)."
    return "The OAuth signature does not match: check the token secret and the consumer secret."
