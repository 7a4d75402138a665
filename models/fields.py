"""Checks shared by every write: required text, lengths, slugs, booleans."""

import re

from slugify import slugify

from models.errors import InvalidInput, NotFound

NAME_MAX = 100
DESCRIPTION_MAX = 2000
MESSAGE_MAX = 5000
SLUG_MAX = 100
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def clean_text(value, field, max_length, required=True):
    """Strip `value`; refuse it when required and blank, or too long."""
    if value is None:
        if required:
            raise InvalidInput(f"'{field}' is required.")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be text.")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"'{field}' must not be empty.")
    if len(value) > max_length:
        raise InvalidInput(f"'{field}' must be at most {max_length} characters.")
    if "\x00" in value:
        raise InvalidInput(f"'{field}' must not contain NUL characters.")
    return value


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


def get_by_slug(model, slug, label):
    """The `model` entity with this slug, or NotFound; ids no slug could be are not looked up."""
    slug = slug if isinstance(slug, str) else ""
    if len(slug) <= SLUG_MAX and SLUG.match(slug):
        entity = model.get_by_id(slug)
        if entity is not None:
            return entity
    shown = slug if len(slug) <= 60 else slug[:60] + "…"
    raise NotFound(f"No {label} '{shown}'.")
