"""Requests the app makes to URLs admins typed in (subscribers' webhooks, probes), guarded against SSRF.

The host name is resolved once, every address it resolves to must be public (not
loopback, private, link-local — the metadata server —, reserved or multicast) unless
private targets are allowed (local runs and tests), and the connection goes to the
address that was checked, so DNS cannot answer differently in between. Redirects are
not followed. TLS still verifies the certificate against the host name.

`timeout` is the whole request's deadline, not each read's: a server that answers a byte
at a time (a trickle) is cut off when it runs out, so it cannot hold a worker for longer.
"""

import dataclasses
import http.client
import ipaddress
import socket
import ssl
import threading
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


class Deadline:
    """Cuts a connection off when its request's time is up, whatever phase it is in.

    A socket timeout bounds each read or write only, and http.client, requests, urllib3 and
    httpx offer nothing more (their "total" still restarts per read): a trickling server
    would never trip it. Shutting the socket down wakes whatever call is blocked on it.
    `find`, when given, answers one more socket to cut (or None): one a library opens itself
    once the deadline runs (smtplib's, workers/mail.py).
    """

    def __init__(self, seconds, find=None):
        self.find = find
        self.sockets = []
        self.expired = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True
        self.timer.start()

    def watch(self, sock):
        """Cut `sock` off at the deadline (at once when it has passed already)."""
        with self.lock:
            self.sockets.append(sock)
            expired = self.expired
        if expired:
            self._cut(sock)
        return sock

    def expire(self):
        """The time is up: cut off every socket watched."""
        with self.lock:
            self.expired = True
            sockets = list(self.sockets)
        if self.find is not None:
            sockets.append(self.find())
        for sock in sockets:
            if sock is not None:
                self._cut(sock)

    @staticmethod
    def _cut(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # closed or never connected: nothing to wake
            pass

    def cancel(self):
        """The request is over: no cut-off."""
        self.timer.cancel()


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, address, deadline, **kwargs):
        super().__init__(host, **kwargs)
        self.address = address
        self.deadline = deadline

    def connect(self):
        self.sock = self.deadline.watch(socket.create_connection((self.address, self.port), self.timeout))


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, address, deadline, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self.address = address
        self.deadline = deadline

    def connect(self):
        # The plain socket is watched, so a handshake that trickles is cut off too.
        sock = self.deadline.watch(socket.create_connection((self.address, self.port), self.timeout))
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def request(method, url, body=None, headers=None, timeout=10.0, allow_private=False):
    """Make one request, all of it within `timeout` seconds; answers a Result (never raises for
    network trouble, a refused target or the deadline)."""
    started = time.monotonic()

    def result(status=None, error=None):
        return Result(status, error, int((time.monotonic() - started) * 1000))

    if timeout <= 0:
        return result(error="no time left to make the request")
    deadline = None
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused("only http:// and https:// URLs are requested")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _address(parts.hostname, port, allow_private)
        # Name resolution above is not cut off (the resolver cannot be interrupted); all the rest is.
        left = timeout - (time.monotonic() - started)
        deadline = Deadline(max(left, 0))
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(parts.hostname, address, deadline, port=port, timeout=max(left, 0.001))
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
            response = connection.getresponse()
            response.read(BODY_KEPT)
            if deadline.expired:  # cut off: headers end at EOF without an error, so check
                raise TimeoutError
            return result(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
        finally:
            connection.close()
    except Refused as error:
        return result(error=f"refused: {error}")
    except (OSError, http.client.HTTPException, ValueError) as error:
        if deadline is not None and deadline.expired:
            return result(error=f"timed out: no complete answer within {timeout:g} s")
        return result(error=f"{type(error).__name__}: {error}"[:500])
    finally:
        if deadline is not None:
            deadline.cancel()
