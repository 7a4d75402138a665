"""Errors the models raise; each surface turns them into its own kind of answer."""

# A paged list's cursor that no page of it gave (mangled, cut, or another list's).
PAGE_LINK_INVALID = "That page link is not valid: start again from the first page."


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
