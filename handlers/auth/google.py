"""Google's side of sign-in: the OpenID Connect code exchange and ID-token checks.

Every token is verified with google-auth. All traffic to Google goes through one
`google.auth.transport.Request` (the app's GOOGLE_TRANSPORT, or a caching one over
requests), so tests hand in a transport that serves test certificates instead.
"""

import json
import threading
import time
import urllib.parse

import google.auth.exceptions
import google.auth.transport.requests
from flask import current_app
from google.oauth2 import id_token

AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
IAP_CERTS_URL = "https://www.gstatic.com/iap/verify/public_key"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
IAP_ISSUER = "https://cloud.google.com/iap"
# Clocks on App Engine and at Google agree closely; a little slack avoids spurious refusals.
CLOCK_SKEW_SECONDS = 10
CERTS_MAX_AGE = 3600
TIMEOUT_SECONDS = 10


class InvalidToken(Exception):
    """A token, code or assertion that does not prove who the caller is."""


class CachingTransport:
    """A google-auth transport that keeps certificate answers for their max-age.

    google-auth fetches the certificates on every verification; Google rotates them
    about daily, so one fetch an hour per instance is plenty (IAP checks every request).
    """

    def __init__(self, inner):
        self.inner = inner
        self.cache = {}
        self.lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        """Answer certificate GETs from the cache; pass everything else through."""
        cacheable = method == "GET" and url in (GOOGLE_CERTS_URL, IAP_CERTS_URL)
        if cacheable:
            with self.lock:
                hit = self.cache.get(url)
            if hit and hit[0] > time.monotonic():
                return hit[1]
        response = self.inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)
        if cacheable and response.status == 200:
            with self.lock:
                self.cache[url] = (time.monotonic() + _max_age(response.headers), response)
        return response


def _max_age(headers):
    for part in (headers or {}).get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "max-age" and value.isdigit():
            return min(int(value), CERTS_MAX_AGE)
    return CERTS_MAX_AGE


def transport():
    """The transport all calls to Google go through (the configured one in tests)."""
    configured = current_app.config.get("GOOGLE_TRANSPORT")
    if configured is not None:
        return configured
    default = current_app.extensions.get("stashboard.google_transport")
    if default is None:
        default = CachingTransport(google.auth.transport.requests.Request())
        current_app.extensions["stashboard.google_transport"] = default
    return default


def authorization_url(redirect_uri, state, nonce, login_hint=None):
    """Where to send the browser to sign in with Google (authorization-code flow)."""
    params = {
        "response_type": "code",
        "client_id": current_app.config["OIDC_CLIENT_ID"],
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": state,
        "nonce": nonce,
        "prompt": "select_account",
    }
    if current_app.config["ADMIN_DOMAIN"]:
        params["hd"] = current_app.config["ADMIN_DOMAIN"]  # a hint for the account chooser only
    if login_hint:
        params["login_hint"] = login_hint
    return f"{AUTHORIZE_URL}?{urllib.parse.urlencode(params)}"


def exchange_code(code, redirect_uri):
    """Trade an authorization code for the ID token at Google's token endpoint."""
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": current_app.config["OIDC_CLIENT_ID"],
            "client_secret": current_app.config["OIDC_CLIENT_SECRET"],
            "redirect_uri": redirect_uri,
        }
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        response = transport()(TOKEN_URL, method="POST", body=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except google.auth.exceptions.TransportError as error:
        raise InvalidToken(f"Google's token endpoint could not be reached: {error}") from error
    try:
        answer = json.loads(response.data.decode("utf-8"))
    except ValueError:
        answer = {}
    if response.status != 200 or not answer.get("id_token"):
        raise InvalidToken(f"Google refused the sign-in code: {answer.get('error', response.status)}.")
    return answer["id_token"]


def _verify(token, audience, certs_url, issuers):
    try:
        claims = id_token.verify_token(
            token,
            transport(),
            audience=audience,
            certs_url=certs_url,
            clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
        )
    except (ValueError, google.auth.exceptions.GoogleAuthError) as error:
        # ValueError covers a bad signature, wrong audience, expiry and malformed tokens.
        raise InvalidToken(str(error)) from error
    if claims.get("iss") not in issuers:
        raise InvalidToken(f"The token was issued by {claims.get('iss')!r}, not Google.")
    if not claims.get("email"):
        raise InvalidToken("The token carries no email address.")
    return claims


def verify_id_token(token, audience, nonce=None):
    """The claims of a Google-signed ID token for `audience` with a verified email, or InvalidToken.

    With `nonce`, the token must carry exactly that nonce (it ties the token to this sign-in).
    """
    claims = _verify(token, audience, GOOGLE_CERTS_URL, GOOGLE_ISSUERS)
    if nonce is not None and claims.get("nonce") != nonce:
        raise InvalidToken("The token's nonce does not match this sign-in.")
    if claims.get("email_verified") not in (True, "true"):
        raise InvalidToken("Google has not verified the token's email address.")
    return claims


def verify_iap_assertion(assertion, audience):
    """The claims of an Identity-Aware Proxy assertion (X-Goog-IAP-JWT-Assertion), or InvalidToken."""
    return _verify(assertion, audience, IAP_CERTS_URL, (IAP_ISSUER,))


def looks_like_jwt(value):
    """Whether a bearer value has a JWT's three dot-separated parts."""
    return value.count(".") == 2 and all(value.split("."))
