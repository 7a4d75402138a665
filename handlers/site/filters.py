"""How templates show times and status icons (for every blueprint's templates)."""

import functools

from babel.dates import format_interval, format_skeleton
from flask import url_for
from flask_babel import format_time, get_locale, gettext, ngettext
from markupsafe import Markup, escape

from models import glance, image_path


def isotime(timestamp):
    """A stored naive UTC time as ISO 8601 with Z, for <time datetime> (the script localises it)."""
    return timestamp.replace(microsecond=0).isoformat() + "Z"


def _english():
    return str(get_locale()) == "en"


def localdate(date, english, skeleton):
    """A date (or a time's date) in the reader's language: English as `english` (strftime) writes
    it, other locales by the CLDR pattern nearest `skeleton` (`yMMMd`: 17 mai 2024, 2024年5月17日)."""
    if _english():
        return date.strftime(english)
    return format_skeleton(skeleton, date, locale=get_locale())


def utctime(timestamp):
    """A stored time as people read it without JavaScript: 17 May 2024, 14:03 UTC (17 mai 2024 14:03 UTC)."""
    if _english():
        return timestamp.strftime("%-d %b %Y, %H:%M UTC")
    return f"{localdate(timestamp, '', 'yMMMd')} {format_time(timestamp, 'HH:mm')} UTC"


def duration(delta):
    """A timedelta as people read it: 2 h 5 min, 3 d 4 h, 45 s (units are the same in every shipped language
    but Japanese's, which are translated)."""
    seconds = int(delta.total_seconds()) if hasattr(delta, "total_seconds") else int(delta)
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = {"d": gettext("d"), "h": gettext("h"), "min": gettext("min"), "s": gettext("s")}
    parts = [(days, "d"), (hours, "h"), (minutes, "min")] if days or hours or minutes else [(seconds, "s")]
    return " ".join(f"{value} {units[unit]}" for value, unit in parts if value) or f"0 {units['s']}"


def labelled(label, text):
    """`label: text` punctuated the reader's language's way (17 mai 2024 : Down, 2024年5月17日：Down)."""
    return gettext("%(label)s: %(text)s", label=label, text=text)


def period_label(period):
    """How an archive page names its period: 2024, May 2024, Friday 17 May 2024 (Archives' Period.label, localised)."""
    english = {"year": "%Y", "month": "%B %Y", "day": "%A %-d %B %Y"}[period.unit]
    return localdate(period.start, english, {"year": "y", "month": "yMMMM", "day": "yMMMMEEEEd"}[period.unit])


def bar_label(bar):
    """A day's text alternative in the reader's language: date, worst status (as the admin named it)
    and the time spent in it (models/glance.py's Bar.label, translated)."""
    if not bar.known:
        status = gettext("No data")
    else:
        status = bar.worst.name if bar.worst else gettext("No problems")
    if bar.known and bar.worst is not None:
        if bar.services:
            status += " " + ngettext("on %(num)d service", "on %(num)d services", bar.services)
        else:
            status += " " + gettext("for %(time)s", time=duration(bar.seconds))
    return labelled(localdate(bar.date, "%-d %b %Y", "yMMMd"), status)


def run_label(run):
    """A run of days' text alternative in the reader's language: its first and last days and what
    they were (models/glance.py's Run.label, translated; 3 Sep – 1 Nov 2026, 3 sept. – 1 nov. 2026)."""
    status = gettext("No problems") if run.level == "normal" else gettext("No data")
    if run.first == run.last:
        dates = localdate(run.last, "%-d %b %Y", "yMMMd")
    elif _english():
        dates = glance.span_text(run.first, run.last)
    else:
        dates = format_interval(run.first, run.last, "yMMMd", locale=get_locale())
    return labelled(dates, status)


@functools.lru_cache(maxsize=256)
def icon_url(name):
    """URL of the status image `name` (a board shows the same few icons hundreds of times)."""
    return url_for("images", filename=image_path(name))


def status_icon(status):
    """URL of a status's icon (a question mark for a status that is gone)."""
    return icon_url(status.image if status else "question")


class DayCells:
    """Writes the history grid's cells of each service: icon, name and archive link of each day.

    Written in Python rather than the template: a board has a cell per service per day,
    and most cells look alike, so each kind of cell (worst status, note) is worked out
    once per page.
    """

    def __init__(self, dates, default_icon):
        self.labels = [(date.strftime("%Y/%m/%d"), _escaped(localdate(date, "%-d %B", "MMMMd"))) for date in dates]
        self.default_icon = default_icon
        self.kinds = {}
        self.labelled = gettext("%(label)s: %(text)s")  # the pattern once: a board has a cell per service per day

    def __call__(self, days, service_url):
        """The <td> cells of one service's `days`, linking below `service_url`."""
        base = escape(service_url)
        cells = []
        for day, (path, shown) in zip(days, self.labels):
            label, icon, level = self._kind(day.worst, day.note)
            alt = self.labelled % {"label": shown, "text": label}
            cells.append(
                f'<td class="day{level}"><a href="{base}/{path}" title="{label}">'
                f'<img src="{icon}" width="16" height="16" alt="{alt}"></a></td>'
            )
        return Markup("\n".join(cells))

    def _kind(self, worst, note):
        key = (id(worst), note)
        if key not in self.kinds:
            label = worst.name if worst else gettext("No problems")
            label += " · " + gettext("note posted") if note else ""
            icon = status_icon(worst) if worst else (icon_url("information") if note else self.default_icon)
            self.kinds[key] = (_escaped(label), _escaped(icon), f" level-{worst.level.lower()}" if worst else "")
        return self.kinds[key]


class BarStrip:
    """Writes a service's day bars: a link to each day with a problem, to that day's events,
    and one item for each run of days without a problem (or without data), drawn as one bar
    a day by site.css; each has a text alternative (shown as its tooltip on hover and focus)
    saying its dates, the worst status and its time.

    Written in Python rather than the template, like DayCells: 90 days a service, the days
    before today written once per card and board signature (models/glance.py's past_bars)."""

    def __call__(self, row, board, now, days, service_url):
        """(The <ol> of the row's bars, oldest first, each linking below `service_url`; its Uptime)."""
        bars, figure = glance.bars_of(row, board, now, days)
        key = ("bar-markup", board.signature, days, str(get_locale()))  # one copy per language
        past = row.service.derived.get(key)
        if past is None:
            past = self._items(bars[:-1], service_url)
            row.service.remember(key, past)
        label = escape(gettext("%(name)s, last %(days)d days", name=row.service.name, days=len(bars)))
        strip = (f'<ol class="bar-strip" aria-label="{label}">'
                 f"{past}{self._items(bars[-1:], service_url)}</ol>")
        return Markup(strip), figure

    @staticmethod
    def _items(bars, service_url):
        base = escape(service_url)
        return "".join(
            f'<li{_run_class(item.days, item.level)} tabindex="0"><span>{escape(run_label(item))}</span></li>'
            if isinstance(item, glance.Run) else
            f'<li{_bar_class(item.level)}><a href="{base}/{_day_path(item.date)}"><span>{escape(bar_label(item))}</span></a></li>'
            for item in glance.runs_of(bars)
        )


@functools.lru_cache(maxsize=16)
def _bar_class(level):
    return f' class="b-{level}"'


@functools.lru_cache(maxsize=256)
def _run_class(days, level):
    # sN spans N of the strip's columns and draws N bars (site.css); days without a problem
    # take the strip's default colour.
    classes = ([f"s{days}"] if days > 1 else []) + ([] if level == "normal" else [f"b-{level}"])
    return f' class="{" ".join(classes)}"' if classes else ""


@functools.lru_cache(maxsize=512)
def _day_path(date):
    return date.strftime("%Y/%m/%d")


def row_markup(row, board, macro, moment=None):
    """`macro(row)`: a service's row of the board, written once per card and board signature
    (and `moment`, for a row that changes with the time of day: its minute).

    The board index's cards are shared by every read until their document changes, and
    the signature holds everything else a row shows (statuses, default, day, days shown),
    so a board of hundreds of services writes again only the rows that changed.
    """
    key = ("markup", board.signature, macro.name, moment, str(get_locale()))  # one copy per language
    markup = row.service.derived.get(key)
    if markup is None:
        markup = macro(row)
        row.service.remember(key, markup)
    return markup


@functools.lru_cache(maxsize=1024)
def _escaped(text):
    return str(escape(text))


def register(app):
    """Make the helpers available to every template."""
    app.add_template_filter(isotime)
    app.add_template_filter(utctime)
    app.add_template_filter(duration)
    app.add_template_filter(localdate)
    app.add_template_filter(bar_label)
    app.add_template_global(period_label)
    app.add_template_global(labelled)
    app.add_template_global(DayCells, "day_cells")
    app.add_template_global(row_markup)
    app.add_template_global(BarStrip(), "bar_strip")
    app.add_template_global(icon_url)
    app.add_template_global(status_icon)
