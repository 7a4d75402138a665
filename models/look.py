"""The board's own look: its name, logo, favicon, accent colour, an optional stylesheet, and a
line of text above and below every public page. Set on the admin's settings page, audited.

Addresses are https only and kept as given (the pages' Content-Security-Policy then allows
exactly their origins: `sources`); texts are plain text, escaped by the templates like any
other. A change purges every cached answer, since every page shows the look.
"""

import logging
import re
import urllib.parse

from google.cloud import ndb

from models import audit
from models.audit import EVERYTHING, snapshot
from models.errors import InvalidInput

log = logging.getLogger(__name__)

ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
NAME_MAX = 100
URL_MAX = 500
TEXT_MAX = 500
FIELDS = ("name", "logo_url", "favicon_url", "accent", "stylesheet_url", "header_text", "footer_text")


def _https(value, field):
    """An https address with a host and nothing a page could be tricked with, or InvalidInput."""
    if len(value) > URL_MAX:
        raise InvalidInput(f"'{field}' must be at most {URL_MAX} characters.")
    parts = urllib.parse.urlsplit(value)
    # The origin goes into the pages' Content-Security-Policy: a plain host (and port) only.
    if parts.scheme != "https" or not HOST.fullmatch(parts.netloc) or any(
            char.isspace() or char in "\"'<>\\" for char in value):
        raise InvalidInput(f"'{field}' must be an https:// address (as https://example.com/logo.png).")
    return value


def _text(value, field, limit):
    if len(value) > limit:
        raise InvalidInput(f"'{field}' must be at most {limit} characters.")
    if any(ord(char) < 32 and char not in "\t" for char in value):
        raise InvalidInput(f"'{field}' must be one line of plain text.")
    return value


def clean(field, value):
    """The stored form of one field's value ('' clears it), or InvalidInput saying why not."""
    value = (value or "").strip()
    if not value:
        return None
    if field.endswith("_url"):
        return _https(value, field)
    if field == "accent":
        if not ACCENT.fullmatch(value):
            raise InvalidInput("'accent' must be a colour as #rrggbb (six hexadecimal digits).")
        return value.lower()
    return _text(value, field, NAME_MAX if field == "name" else TEXT_MAX)


def _origin(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Look(ndb.Model):
    """The board's look; one entity (key: Look "board"). Every field is optional."""

    name = ndb.StringProperty()
    logo_url = ndb.TextProperty()
    favicon_url = ndb.TextProperty()
    accent = ndb.StringProperty()
    stylesheet_url = ndb.TextProperty()
    header_text = ndb.TextProperty()
    footer_text = ndb.TextProperty()

    @classmethod
    def cache_purges(cls, key):
        """Every page shows the look."""
        return (EVERYTHING,)

    @classmethod
    def key_for(cls):
        """The one Look key."""
        return ndb.Key(cls, "board")

    @classmethod
    def current(cls):
        """The board's look; the default one when none was set, or when it cannot be read (an error
        page while the Datastore is away still renders)."""
        try:
            return cls.key_for().get() or cls(key=cls.key_for())
        except Exception as error:  # noqa: BLE001 (any Datastore failure: the page goes on, plainer)
            log.warning("Could not read the board's look: %s", error)
            return cls(key=cls.key_for())

    @classmethod
    def save(cls, **given):
        """Store the look (the FIELDS given; '' clears one), audited; answers the Look. Every value is
        checked before anything is written."""
        values = {field: clean(field, given.get(field)) for field in FIELDS if field in given}
        key = cls.key_for()

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            stored = key.get(retries=0)
            look = stored or cls(key=key)
            before = snapshot(stored)
            for field, value in values.items():
                setattr(look, field, value)
            after = snapshot(look)
            if after != before:
                look.put()
                audit.AuditEntry.record("update" if stored else "create", key, before=before, after=after)
            return look

        return txn()

    def sources(self):
        """(image origins, stylesheet origins) the pages load from: the Content-Security-Policy adds them."""
        images = sorted({_origin(url) for url in (self.logo_url, self.favicon_url) if url})
        styles = [_origin(self.stylesheet_url)] if self.stylesheet_url else []
        return images, styles
