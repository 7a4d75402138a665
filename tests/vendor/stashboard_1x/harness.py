# Python 2.7: runs the original docs' example.py unchanged against a local board.
#
# The example talks to https://stashboard-hrd.appspot.com with the placeholders
# ACCESS_TOKEN / ACCESS_SECRET, as a user would before filling them in. This harness
# stands in for that user: it hands python-oauth2 the token the board issued, and
# routes the connection to the local server while keeping the URL the client signed
# (Host header, and X-Forwarded-Proto as App Engine's front end sets it).
#
#   harness.py example    run example.py
#   harness.py refusals   a wrong secret, a stale timestamp, a replayed nonce (prints JSON)
import json
import os
import sys
import time

import httplib2
import oauth2 as oauth

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.environ["STASHBOARD_SERVER"]  # http://127.0.0.1:PORT
ACCESS_TOKEN = os.environ["STASHBOARD_ACCESS_TOKEN"]
ACCESS_SECRET = os.environ["STASHBOARD_ACCESS_SECRET"]
PUBLIC = "https://stashboard-hrd.appspot.com"

_token_init = oauth.Token.__init__


def _token(self, key, secret):
    """The example's placeholders, filled in with the token the board issued."""
    if (key, secret) == ("ACCESS_TOKEN", "ACCESS_SECRET"):
        key, secret = ACCESS_TOKEN, ACCESS_SECRET
    _token_init(self, key, secret)


_request = httplib2.Http.request


def _routed(self, uri, method="GET", body=None, headers=None, *args, **kwargs):
    """Send a request signed for the public URL to the local server instead."""
    headers = dict(headers or {})
    if uri.startswith(PUBLIC):
        uri = SERVER + uri[len(PUBLIC):]
        headers["Host"] = "stashboard-hrd.appspot.com"
        headers["X-Forwarded-Proto"] = "https"
    return _request(self, uri, method, body, headers, *args, **kwargs)


oauth.Token.__init__ = _token
httplib2.Http.request = _routed


def signed_post(path, fields, secret=None, timestamp=None):
    """A POST signed by python-oauth2 the way its Client signs it (parameters in the form body)."""
    consumer = oauth.Consumer("anonymous", "anonymous")
    token = oauth.Token(ACCESS_TOKEN, secret or ACCESS_SECRET)
    url = PUBLIC + "/admin/api/v1" + path
    request = oauth.Request.from_consumer_and_token(consumer, token, http_method="POST", http_url=url,
                                                    parameters=fields)
    if timestamp is not None:
        request["oauth_timestamp"] = str(timestamp)
    request.sign_request(oauth.SignatureMethod_HMAC_SHA1(), consumer, token)
    return url, request.to_postdata()


def send(url, body):
    response, content = httplib2.Http().request(
        url, "POST", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    return response.status


def refusals():
    fields = {"name": "Refused", "description": "Must not be created"}
    results = {
        "wrong_secret": send(*signed_post("/service-lists", fields, secret=ACCESS_SECRET + "x")),
        "stale_timestamp": send(*signed_post("/service-lists", fields, timestamp=int(time.time()) - 3600)),
    }
    url, body = signed_post("/service-lists", {"name": "Replayed", "description": "Sent twice"})
    results["replay_first"] = send(url, body)
    results["replay_again"] = send(url, body)
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1] == "example":
        path = os.path.join(HERE, "example.py")
        sys.argv = [path]
        execfile(path, {"__name__": "__main__", "__file__": path})  # noqa: F821 (Python 2)
    else:
        refusals()
