"""Status badges: shields-style SVGs of a service's status, or of the whole board, for READMEs and wikis.

Text is measured with the 11px Verdana width table shields.io uses (badge_widths/,
vendored with its licence), so the badge fits its text the way shields' badges do;
the text is escaped by the template. Badges are public reads: the page cache keeps
them until the service (or, for the board's, any service) changes.
"""

import bisect
import functools
import json
import pathlib

from flask import Response, current_app, render_template

from handlers.routes import BOARD, reads, service_tags
from handlers.site.views import bp
from models import Snapshot, NotFound, Service

WIDTHS = pathlib.Path(__file__).resolve().parent / "badge_widths" / "verdana-11px-normal.json"
COLOURS = {"NORMAL": "#4c1", "WARNING": "#dfb317", "ERROR": "#e05d44", "CRITICAL": "#b60205"}
UNKNOWN = "#9f9f9f"
PADDING = 5
LABEL_COLOUR = "#555"
TEXT_MAX = 60


@functools.cache
def _table():
    ranges = json.loads(WIDTHS.read_text())
    return [lower for lower, _, _ in ranges], ranges


def text_width(text):
    """The width in pixels of `text` in 11px Verdana; a character the table lacks counts as an 'm',
    controls as nothing (as badge-maker measures)."""
    starts, ranges = _table()
    em = char_width(ord("m"), starts, ranges)
    total = 0.0
    for char in text:
        code = ord(char)
        if code < 32 or 127 <= code < 160:
            continue
        width = char_width(code, starts, ranges)
        total += em if width is None else width
    return total


def char_width(code, starts, ranges):
    """The width of one code point, or None when the table has no range holding it."""
    index = bisect.bisect_right(starts, code) - 1
    if index >= 0 and ranges[index][0] <= code <= ranges[index][1]:
        return ranges[index][2]
    return None


def preferred_width(text):
    """The whole-pixel width badge-maker gives text: truncated, then rounded up to odd (for pixel alignment)."""
    width = int(text_width(text))
    return width if width % 2 else width + 1


def _clip(text):
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def svg(label, message, colour):
    """The badge: a grey label and a coloured message, sized to their text."""
    label, message = _clip(label), _clip(message)
    label_text, message_text = preferred_width(label), preferred_width(message)
    left, right = label_text + 2 * PADDING, message_text + 2 * PADDING
    body = render_template(
        "site/badge.svg", label=label, message=message, colour=colour, label_colour=LABEL_COLOUR,
        left=left, right=right, width=left + right, label_x=left * 5, message_x=(left + right / 2) * 10,
        label_length=label_text * 10, message_length=message_text * 10,
    )
    return body


def _answer(body, status=200):
    return Response(body, status, mimetype="image/svg+xml")


@bp.get("/badges/board.svg")
@reads(BOARD, localised=False)
def board_badge():
    """The whole board's badge: the site's name and the front page's one-line answer, in the worst colour."""
    board = Snapshot.now()
    worst = board.worst
    colour = COLOURS[worst.level] if worst else COLOURS["NORMAL"]
    return _answer(svg(current_app.config["SITE_NAME"], board.banner().lower(), colour))


@bp.get("/badges/<service_id>.svg")
@reads(service_tags, localised=False)
def service_badge(service_id):
    """One service's badge: its name and current status, in its level's colour (a grey 404 badge if unknown)."""
    try:
        service = Service.get_or_404(service_id)
    except NotFound:
        return _answer(svg("status", "unknown service", UNKNOWN), 404)
    board = Snapshot.of([service])
    status = board.rows[0].status
    if status is None:
        return _answer(svg(service.name, "no status", UNKNOWN))
    return _answer(svg(service.name, status.name, COLOURS[status.level]))
