"""Requests the app makes to URLs admins typed in (subscribers' webhooks, probes), guarded against SSRF.

The host name is resolved once, every address it resolves to must be public (not
loopback, private, link-local — the metadata server —, reserved or multicast) unless
private targets are allowed (local runs and tests), and the connection goes to the
address that was checked, so DNS cannot answer differently in between. Redirects are
not followed. TLS still verifies the certificate against the host name.
"""

import dataclasses
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse

USER_AGENT = "Stashboard (+https://github.com/twilio/stashboard)"
BODY_KEPT = 4096


class Refused(Exception):
    """The URL may not be requested: a non-public address, or not an http(s) URL."""


@dataclasses.dataclass(frozen=True)
class Result:
    """What a request met: an HTTP status, or an error; and how long it took."""

    status: int | None
    error: str | None
    milliseconds: int

    @property
    def ok(self):
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def _address(host, port, allow_private):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"cannot resolve {host}: {error.strerror}") from error
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not allow_private and not ip.is_global:
            raise Refused(f"{host} resolves to {ip}, which is not a public address")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def request(method, url, body=None, headers=None, timeout=10.0, allow_private=False):
    """Make one request; answers a Result (never raises for network trouble or a refused target)."""
    started = time.monotonic()

    def result(status=None, error=None):
        return Result(status, error, int((time.monotonic() - started) * 1000))

    try:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused("only http:// and https:// URLs are requested")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _address(parts.hostname, port, allow_private)
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(parts.hostname, address, port=port, timeout=timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
            response = connection.getresponse()
            response.read(BODY_KEPT)
            return result(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
        finally:
            connection.close()
    except Refused as error:
        return result(error=f"refused: {error}")
    except (OSError, http.client.HTTPException, ValueError) as error:
        return result(error=f"{type(error).__name__}: {error}"[:500])
