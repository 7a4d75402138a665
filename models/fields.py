"""Checks shared by every write: required text, lengths, slugs, booleans."""

import re

from google.cloud import ndb
from slugify import slugify

from models.errors import InvalidInput, NotFound

NAME_MAX = 100
DESCRIPTION_MAX = 2000
MESSAGE_MAX = 5000
SLUG_MAX = 100
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What clean_text removes or refuses (see its docstring).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAK = re.compile("\r\n?")
ONE_LINE_WHITESPACE = re.compile("[\t\n\r]+")
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value, field, max_length, required=True, multiline=False):
    """Checked text: stored as written, less what no page, feed or API client can show.

    * Letters of every script, right-to-left text and emoji are kept exactly as given
      (no normalisation); pages show user text in `dir="auto"` elements so each piece
      reads in its own direction.
    * Lengths count characters, that is Unicode code points (an emoji with a skin tone is
      two), after the text is cleaned; a line break counts one (CR LF is stored as LF).
    * An unpaired surrogate (JSON allows "\\ud800") is refused: it is not a character,
      and the Datastore could not store it.
    * NUL is refused, as the API always has: it is never text, rather a sign of binary
      data or a C string cut short.
    * Other control characters (C0, DEL, C1) are removed, except tab and line breaks in
      multi-line text (descriptions, messages); in a one-line name those become a space.
      They have no visible form on any page, XML 1.0 forbids most of them in a feed, and
      they arrive by accident (terminal colour codes, log lines, pasted PDFs): refusing
      one would fail a monitoring script's update in the middle of an incident for a byte
      nobody can see, so the text the writer meant is kept instead.
    * In a name (one line) the bidirectional embedding, override and isolate controls
      (U+202A-U+202E, U+2066-U+2069) are refused: they make a name read other than it is
      ("Payments" spelt backwards shown forwards), names must be recognisable at a glance,
      and names in Arabic or Hebrew need none of them. Descriptions and messages keep them:
      mixed-direction prose can need them, and every page isolates the text they sit in.
    """
    if value is None:
        if required:
            raise InvalidInput(f"'{field}' is required.")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be text.")
    surrogate = LONE_SURROGATE.search(value)
    if surrogate:
        raise InvalidInput(
            f"'{field}' is not valid Unicode: it contains the unpaired surrogate "
            f"\\u{ord(surrogate.group()):04x}; send characters beyond U+FFFF as UTF-8 or as a surrogate pair."
        )
    if "\x00" in value:
        raise InvalidInput(f"'{field}' must not contain NUL characters.")
    if multiline:
        value = CONTROL.sub("", LINE_BREAK.sub("\n", value))
    else:
        value = CONTROL.sub("", ONE_LINE_WHITESPACE.sub(" ", value))
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"'{field}' must not be empty.")
    if len(value) > max_length:
        raise InvalidInput(
            f"'{field}' must be at most {max_length} characters (Unicode code points); it has {len(value)}."
        )
    if not multiline and BIDI_CONTROL.search(value):
        raise InvalidInput(
            f"'{field}' must not contain Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069): "
            "they can make a name read differently from what it is."
        )
    return value


# The largest id the Datastore gives an entity (a signed 64-bit integer).
ID_MAX = 2**63 - 1


def numeric_id(value):
    """The Datastore id `value` writes in decimal, or None when no entity could have it."""
    text = str(value)
    if text.isascii() and text.isdigit() and 0 < int(text) <= ID_MAX:
        return int(text)
    return None


def slug_for(name):
    """The URL id a new entity named `name` gets; refuse names with nothing to slug."""
    slug = slugify(name, max_length=SLUG_MAX)
    if not slug:
        raise InvalidInput("'name' must contain at least one letter or digit.")
    return slug


def parse_bool(value, field):
    """Read `true`/`false` (any case; also 1/0, yes/no); refuse anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise InvalidInput(f"'{field}' must be true or false.")


def is_slug(text):
    """Whether `text` could be a slug (anything else is never looked up)."""
    return isinstance(text, str) and len(text) <= SLUG_MAX and SLUG.match(text) is not None


def get_by_slug(model, slug, label):
    """The `model` entity with this slug, or NotFound; ids no slug could be are not looked up."""
    slug = slug if isinstance(slug, str) else ""
    if is_slug(slug):
        entity = model.get_by_id(slug)
        if entity is not None:
            return entity
    shown = slug if len(slug) <= 60 else slug[:60] + "…"
    raise NotFound(f"No {label} '{shown}'.")


# A Stashboard 1.x event id: its root key, URL-safe base64 without padding (str(db.Key)).
LEGACY_SID = re.compile(r"^[A-Za-z0-9_-]{10,400}$")


def legacy_event_id(sid):
    """The numeric id inside a Stashboard 1.x event id, or None for anything else.

    The old app published `str(db.Key)` of its root Event entities as their sids; a
    migrated event keeps that numeric id under its service (models/legacy.py), so links
    and scripts holding an old sid still find it. The app id inside the old sid is not
    compared: it is the same project, however App Engine spelt it then (`s~`, `e~`).
    """
    if not LEGACY_SID.match(sid):
        return None
    try:
        pairs = ndb.Key(urlsafe=sid).pairs()
    except Exception:  # noqa: BLE001 - any undecodable text is simply not an old sid
        return None
    if len(pairs) == 1 and pairs[0][0] == "Event" and isinstance(pairs[0][1], int) and 0 < pairs[0][1] <= ID_MAX:
        return pairs[0][1]
    return None
