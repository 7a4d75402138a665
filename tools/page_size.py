"""How many bytes the front page sends, raw and gzipped, with its 90-day bars and with the grid.

Used by `make bench` on its board B (200 services); runs in the bench's process against the
board it seeded, the page cache off, each page fetched through Flask's test client.
"""

import gzip

from handlers.context import ndb_context
from models.status import Installation

MODES = ("bars", "grid")
TARGET = 1.5  # the bars page, gzipped, at most this many times the grid page


def measure(create_app, namespace):
    """{front page mode: (raw bytes, gzipped bytes)} of `/` on the board in `namespace`; the
    board's front page setting is put back afterwards."""
    app = create_app({"NDB_NAMESPACE": namespace, "SECRET_KEY": "bench", "PAGE_CACHE": False})
    client = app.test_client()
    with app.app_context(), ndb_context(app):
        before = Installation.load().front_page
    sizes = {}
    try:
        for mode in MODES:
            with app.app_context(), ndb_context(app):
                Installation.choose_front_page(mode)
            body = client.get("/", headers={"Host": "status.example.com"}).get_data()
            sizes[mode] = (len(body), len(gzip.compress(body, 6)))
    finally:
        with app.app_context(), ndb_context(app):
            Installation.choose_front_page(before or MODES[0])
    return sizes


def report(sizes, table):
    """Print the sizes with `table` (tools/bench.py's): each mode's bytes, then the gzipped
    ratio of bars to grid against TARGET."""
    found = [[mode, f"{raw:,}", f"{zipped:,}"] for mode, (raw, zipped) in sizes.items()]
    ratio = sizes["bars"][1] / sizes["grid"][1]
    found.append(["bars / grid", f"{sizes['bars'][0] / sizes['grid'][0]:.2f}",
                  f"{ratio:.2f} (target <= {TARGET}) {'PASS' if ratio <= TARGET else 'FAIL'}"])
    table(f"Front page size, board B (PAGE_CACHE=off): the bars at most {TARGET}x the grid, gzipped",
          ["front page", "bytes", "gzipped"], found)
