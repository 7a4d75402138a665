"""Where the app may send a browser on its own say-so (after sign-in, a form's Cancel): only
paths on this site, never another site or a script, however the URL is spelled."""

import unicodedata
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def is_local_path(value):
    """Whether a browser would read `value` as a path on this site, never another site or a script."""
    # Browsers drop tabs and newlines inside URLs and read "\\" as "/", so "/\t/evil.com"
    # becomes "//evil.com": refuse any control, format or space character and any backslash.
    if any(ch == "\\" or ch.isspace() or unicodedata.category(ch).startswith("C") for ch in value):
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def _origin(url):
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a malformed port
        return None
    return parts.scheme, (parts.hostname or "").lower(), port


def same_origin_path(url, host_url):
    """The path (and query) of `url` when it is on the origin of `host_url`, else None."""
    if not url or _origin(url) is None or _origin(url) != _origin(host_url) or not _origin(url)[1]:
        return None
    parts = urlsplit(url)
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return path if is_local_path(path) else None
