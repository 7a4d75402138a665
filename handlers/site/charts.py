"""Charts drawn on the server as inline SVG: no chart library, no script, no style attribute.

A chart is a Chart of models/series.py (at most a few hundred buckets, each min/avg/max):
the average as a line, min to max as a band behind it, a gap where nothing was recorded.
Colours and widths come from the stylesheet's classes (static/css/site.css), as the pages'
Content-Security-Policy allows no inline style; each chart has a table alternative in the
template (site/_chart.html).

Its words, figures and times are the reader's language's (handlers/i18n.py): the axis labels
here, the caption, the periods and the table's figures through the template helpers below.
"""

import dataclasses
import functools
import math

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import parse_pattern
from flask import request
from flask_babel import get_locale, ngettext


WIDTH, HEIGHT = 720, 160
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 8, 22
DEFAULT_PERIOD = "24h"


def chosen_period():
    """The period the request asked for (declared and checked by routes.chart_period), else the last 24 hours."""
    return request.args.get("period") or DEFAULT_PERIOD


def _nice(value):
    """A round top for the y axis at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


ENGLISH = Locale.parse("en")
# CLDR number patterns, parsed once: a 30-day table writes 720 figures.
WHOLE, ONE_DECIMAL, SIGNIFICANT = (parse_pattern(pattern) for pattern in ("#,##0", "#,##0.0", "@##"))


def _locale():
    """The reader's locale (English outside a request: a chart drawn in a test or a script)."""
    return get_locale() or ENGLISH


def axis_number(value):
    """An axis' bound as the reader's language writes it: 2,000 (2 000 in French), 0.005 (0,005)."""
    return (WHOLE if abs(value) >= 1 or value == 0 else SIGNIFICANT).apply(value, _locale())


def reading(value):
    """A figure as read: one decimal, or three significant digits below 1 (an error rate of 0.0042),
    grouped and pointed the reader's language's way (1,234.5; 1 234,5 in French)."""
    return (ONE_DECIMAL if abs(value) >= 1 or value == 0 else SIGNIFICANT).apply(value, _locale())


def count(value):
    """A whole number of samples, grouped the reader's language's way."""
    return WHOLE.apply(value, _locale())


@functools.lru_cache(maxsize=512)
def _date(date, skeleton, english, locale):
    # A table has up to 180 rows over at most 31 dates: each date is written once (CLDR is slow).
    return date.strftime(english) if locale == "en" else format_skeleton(skeleton, date, locale=locale)


def moment(timestamp, year=True):
    """A bucket's start as the reader's language writes it, without its zone: 17 May 2024 14:00
    (17 mai 2024 14:00), or 17 May 14:00 without the year (an axis' ends)."""
    skeleton, english = ("yMMMd", "%-d %b %Y") if year else ("MMMd", "%-d %b")
    return f"{_date(timestamp.date(), skeleton, english, str(_locale()))} {timestamp:%H:%M}"


def period_name(period, last=False):
    """A chart's period in the reader's language: 24 hours, 7 days (`last`: last 24 hours); each
    phrase whole, as languages agree "last" with the unit."""
    hours = int(period.span.total_seconds()) // 3600
    if hours < 48:
        if last:
            return ngettext("last %(num)d hour", "last %(num)d hours", hours)
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    if last:
        return ngettext("last %(num)d day", "last %(num)d days", hours // 24)
    return ngettext("%(num)d day", "%(num)d days", hours // 24)


@dataclasses.dataclass
class Drawing:
    """What the template writes into the <svg>: path data, axis labels, and the figures the text tells."""

    line: str
    band: str
    top: str
    floor: str
    first: str
    last: str
    low: float | None
    mean: float | None
    high: float | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM
    ytop: int = TOP


def draw(chart):
    """The SVG geometry of `chart` (a models.series.Chart): average line and min-max band, by segments."""
    buckets = chart.buckets
    filled = chart.filled
    top = _nice(max((bucket.high for bucket in filled), default=0))
    lowest = min((bucket.low for bucket in filled), default=0)
    floor = -_nice(-lowest) if lowest < 0 else 0.0  # a metric may go below zero
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(buckets) - 1, 1)

    def x(index):
        return f"{LEFT + index * step:.1f}"

    def y(value):
        return f"{HEIGHT - BOTTOM - ((value - floor) / (top - floor)) * (HEIGHT - BOTTOM - TOP):.1f}"

    line, band, segment = [], [], []
    for index, bucket in enumerate([*buckets, None]):
        if bucket is not None and bucket.count:
            segment.append((index, bucket))
            continue
        if segment:  # a run of filled buckets ends: one stroke of the line, one polygon of the band
            line.append("M" + " L".join(f"{x(i)} {y(b.mean)}" for i, b in segment))
            if len(segment) == 1:
                line[-1] += f" L{x(segment[0][0])} {y(segment[0][1].mean)}"  # a dot (round caps)
            edge = [f"{x(i)} {y(b.high)}" for i, b in segment] + [f"{x(i)} {y(b.low)}" for i, b in segment[::-1]]
            band.append("M" + " L".join(edge) + " Z")
            segment = []
    total = sum(bucket.total for bucket in filled)
    count = sum(bucket.count for bucket in filled)
    return Drawing(
        line=" ".join(line), band=" ".join(band), top=axis_number(top), floor=axis_number(floor),
        first=moment(buckets[0].start, year=False), last=moment(buckets[-1].start, year=False),
        low=min((bucket.low for bucket in filled), default=None), mean=total / count if count else None,
        high=max((bucket.high for bucket in filled), default=None),
    )


def register(app):
    """The helpers site/_chart.html and the service page write a chart's words and figures with."""
    app.add_template_filter(reading, "chart_reading")
    app.add_template_filter(count, "chart_count")
    app.add_template_filter(moment, "chart_moment")
    app.add_template_global(period_name)
