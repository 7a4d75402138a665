"""Errors the models raise; each surface turns them into its own kind of answer.

A message a reader may meet on a page is a Text: the API answers its English as it is, and a
page says it in the reader's language (handlers/i18n.py's `translate`; `make translations`
extracts every `Text("…")` of the files babel.cfg names).
"""


class Text(str):
    """English text made from a template and its values (`Text("No service '%(name)s'.", name=…)`)
    that keeps both, so that a page can translate the template and fill it in again. It is a str:
    every surface that does not translate (the API, logs) uses the English as it is."""

    def __new__(cls, template, **values):
        text = super().__new__(cls, template % values if values else template)
        text.template, text.values = template, values
        return text


# A paged list's cursor that no page of it gave (mangled, cut, or another list's).
PAGE_LINK_INVALID = Text("That page link is not valid: start again from the first page.")


class StashboardError(Exception):
    """A request the board cannot carry out; `code` is the HTTP status it maps to."""

    code = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidInput(StashboardError):
    """A missing or malformed field."""

    code = 400


class NotFound(StashboardError):
    """The entity named does not exist."""

    code = 404


class Conflict(StashboardError):
    """The change clashes with what is stored (a taken slug, a status in use)."""

    code = 409
