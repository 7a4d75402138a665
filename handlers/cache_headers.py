"""The headers of the answers the page cache passes through without keeping them (handlers/cache.py)."""

from handlers.errors import OUTAGE_HEADER

PRIVATE = "private, no-store"
# Files change only with a deploy: an edge may serve a stale copy a while longer.
FILE_STALENESS = "stale-while-revalidate=86400, stale-if-error=604800"


def private(start_response):
    """start_response for an answer nobody else may keep: `Cache-Control: private, no-store`."""

    def start(status, headers, exc_info=None):
        drop = ("cache-control", OUTAGE_HEADER.lower())
        headers[:] = [(n, v) for n, v in headers if n.lower() not in drop] + [("Cache-Control", PRIVATE)]
        return start_response(status, headers, exc_info)

    return start


def with_file_staleness(start_response):
    """start_response that lets edges serve a public file stale while they refresh it."""

    def start(status, headers, exc_info=None):
        headers[:] = [
            (name, f"{value}, {FILE_STALENESS}" if name.lower() == "cache-control" and "public" in value else value)
            for name, value in headers
        ]
        return start_response(status, headers, exc_info)

    return start
