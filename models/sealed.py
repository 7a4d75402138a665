"""Secrets the app must read back (to check or make signatures), stored sealed, never in clear.

PagerDuty signing secrets and subscribers' webhook secrets are sealed the way OAuth 1.0a
token secrets are (models/oauth1.py: Fernet, under a key derived from TOKEN_SECRETS_KEY),
so the Datastore alone, an export of it or a backup does not reveal them. Values stored
in clear before sealing existed are still read (and sealed on their next write).

The key is the process's: main.create_app sets it from the app's settings (`use_key`).
"""

from google.cloud import ndb

from models.errors import InvalidInput
from models.oauth1 import SecretBox

# Marks a sealed value; a stored value without it is an old clear one.
PREFIX = "sealed:v1:"
_INFO = b"stashboard stored signing secrets"
_boxes = {}


def use_key(key_material):
    """Seal and open stored secrets with `key_material` (TOKEN_SECRETS_KEY) from now on."""
    _boxes["current"] = SecretBox(key_material, info=_INFO) if key_material else None


def _box():
    box = _boxes.get("current")
    if box is None:
        raise InvalidInput("Storing a signing secret needs TOKEN_SECRETS_KEY (or SECRET_KEY) to be set.")
    return box


class SealedTextProperty(ndb.TextProperty):
    """A text property stored sealed; an old clear value reads as itself, one sealed under another key as None."""

    def _to_base_type(self, value):
        """Seal the value on its way to the Datastore."""
        return PREFIX + _box().seal(value)

    def _from_base_type(self, value):
        """Open a sealed value read back; a clear one (stored before sealing) is returned as it is."""
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if not value.startswith(PREFIX):
            return value
        return _box().open(value[len(PREFIX):])
