"""Charts drawn on the server as inline SVG: no chart library, no script, no style attribute.

A chart is a Chart of models/series.py (at most a few hundred buckets, each min/avg/max):
the average as a line, min to max as a band behind it, a gap where nothing was recorded.
Colours and widths come from the stylesheet's classes (static/css/site.css), as the pages'
Content-Security-Policy allows no inline style; each chart has a table alternative in the
template (site/_chart.html).
"""

import dataclasses
import math

from flask import request


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


def _number(value):
    return f"{value:g}"


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
        line=" ".join(line), band=" ".join(band), top=_number(top), floor=_number(floor),
        first=buckets[0].start.strftime("%-d %b %H:%M"), last=buckets[-1].start.strftime("%-d %b %H:%M"),
        low=min((bucket.low for bucket in filled), default=None), mean=total / count if count else None,
        high=max((bucket.high for bucket in filled), default=None),
    )
