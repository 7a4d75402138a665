"""The reader's language: which of the shipped locales a public page, feed or e-mail is written in.

The choice, strongest first: `?lang=xx` in the URL, the `lang` cookie (set by the chooser's
`/language` route), the browser's `Accept-Language`, else English. Anything that is not a
shipped locale is ignored, so the locale is always one of LOCALES: the page cache keeps at
most one copy of a page per shipped locale however many languages readers send
(handlers/cache.py puts `locale_of(environ)` in its key).

Worked out from the WSGI environ alone (the page cache asks before Flask runs) and kept in it,
so the cache key and the render agree.
"""

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, has_request_context, redirect, request
from flask_babel import Babel, format_decimal, get_locale, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from handlers.local_urls import is_local_path
from handlers.routes import PRIVATE, declare, route_of

# Shipped locales as Babel names them (translations/<name>/), with their names in themselves.
LOCALES = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "ja": "日本語",
}
DEFAULT = "en"
# Scripts written right to left; none ships yet, but <html dir> follows the locale when one does.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"})
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400
LOCALE_KEY = "stashboard.locale"


def N_(text):
    """Mark `text` for the catalogues without translating it here: templates translate it when shown."""
    return text


# English text made outside the templates that pages show through `_()`: models/snapshot.py's
# banners and group names, models/uptime.py's rule, incident states and impacts, error titles.
MARKED = (
    N_("All systems operational"), N_("Some services have problems"), N_("Some services are down"),
    N_("Major outage"), N_("Other services"), N_("Services"),
    N_("NORMAL counts as up, WARNING as degraded, ERROR and CRITICAL as down; "
       "time in the maintenance status is left out."),
    N_("Investigating"), N_("Identified"), N_("Monitoring"), N_("Resolved"),
    # Maintenance windows' states as pages show them, and what a reader's message says of one.
    N_("Scheduled"), N_("In progress"), N_("Verifying"), N_("Completed"), N_("Cancelled"),
    N_("Maintenance announced"), N_("Maintenance started"), N_("Maintenance verifying"),
    N_("Maintenance completed"), N_("Maintenance cancelled"),
    # models/channels.py's kinds of channel, as the sign-up form offers them.
    N_("My own webhook (JSON, signed)"), N_("Slack (incoming webhook)"),
    N_("Microsoft Teams (Workflows webhook)"), N_("Discord (channel webhook)"),
    N_("none"), N_("minor"), N_("major"), N_("critical"),
    N_("Error"), N_("Bad Request"), N_("Not Found"), N_("Method Not Allowed"), N_("Too Many Requests"),
    N_("Request Entity Too Large"), N_("Internal Server Error"), N_("Service Unavailable"), N_("Forbidden"),
    # Werkzeug's own texts readers may meet (the app's own messages are models.errors.Text, extracted
    # where they are made).
    N_("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The method is not allowed for the requested URL."),
    N_("The data value transmitted exceeds the capacity limit."),
)
# Lower-cased BCP 47 tags and Babel names of every shipped locale, and its language alone.
_BY_TAG = {name.lower().replace("_", "-"): name for name in LOCALES}


def shipped(value):
    """The shipped locale `value` names (`pt-BR`, `pt_br`, `FR`), or None."""
    if not value or len(value) > 20:
        return None
    return _BY_TAG.get(value.strip().lower().replace("_", "-"))


def tag(locale):
    """A locale as HTML and HTTP write it: `pt-BR`."""
    return str(locale).replace("_", "-")


def direction(locale):
    """`rtl` for a locale written right to left, else `ltr`."""
    return "rtl" if str(locale).split("_")[0] in RTL_LANGUAGES else "ltr"


def _query_lang(environ):
    query = environ.get("QUERY_STRING", "")
    if "lang=" not in query:
        return None
    values = [value for name, value in parse_qsl(query, keep_blank_values=True) if name == "lang"]
    return shipped(values[0]) if values else None


def choose(environ):
    """(locale, explicit): the request's shipped locale, and whether its URL chose it (`?lang=`)."""
    chosen = _query_lang(environ)
    if chosen:
        return chosen, True
    cookie = shipped(parse_cookie(environ).get(COOKIE)) if "HTTP_COOKIE" in environ else None
    if cookie:
        return cookie, False
    header = environ.get("HTTP_ACCEPT_LANGUAGE")
    if header:
        accepted = parse_accept_header(header[:500], LanguageAccept)
        best = accepted.best_match([tag(name) for name in LOCALES])
        if best:
            return shipped(best), False
    return DEFAULT, False


def locale_of(environ):
    """The request's (locale, explicit), worked out once and kept in `environ`."""
    found = environ.get(LOCALE_KEY)
    if found is None:
        found = environ[LOCALE_KEY] = choose(environ)
    return found


def vary(environ):
    """What a localised answer's `Vary` must name: nothing when its URL chose the language."""
    return None if locale_of(environ)[1] else "Accept-Language, Cookie"


def _select_locale():
    """Flask-Babel's locale: the request's, or English outside one (a reader's e-mail forces its own)."""
    if has_request_context():
        return locale_of(request.environ)[0]
    return DEFAULT


def translate(text):
    """`text` (made in code: a banner, a state, an error's message) translated when the catalogues
    know it, as plain text the template escapes: Jinja's `_()` would mark it safe, and an error's
    message may carry what the reader typed. A models.errors.Text is translated from its template,
    then filled in with its values again."""
    if not text:
        return ""
    template = getattr(text, "template", None)
    if template is not None:
        return gettext(template, **text.values)
    return gettext(str(text))


bp = declare(Blueprint("language", __name__), PRIVATE)


@bp.get("/language")
def choose_language():
    """The chooser's link: remember the language in the `lang` cookie and go back to the page in it."""
    raw = request.args.get("lang", "")
    locale = shipped(raw)
    back = request.args.get("next", "/")
    if not is_local_path(back) or len(back) > 2000:
        back = "/"
    path, _, query = back.partition("?")
    query = "&".join(part for part in query.split("&") if part and not part.startswith("lang="))
    if locale is None:
        return redirect(path + (f"?{query}" if query else ""), 303)
    query = "&".join(filter(None, [query, f"lang={tag(locale)}"]))
    response = redirect(f"{path}?{query}", 303)
    response.set_cookie(COOKIE, tag(locale), max_age=COOKIE_MAX_AGE, samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response


def _chooser_links():
    """The chooser's (tag, name, href, current) rows for this page: back to its path and the query
    arguments it declared (a cached page must not carry another reader's cache-busters)."""
    current = str(get_locale())
    declared = getattr(current_app.view_functions.get(request.endpoint), "reads", None)
    kept = set(declared.args) if declared else set()  # a view that declares none keeps none
    args = [(name, value) for name, value in request.args.items(multi=True) if name in kept and name != "lang"]
    path = request.path + (f"?{urlencode(args)}" if args else "")
    return [(tag(name), label, "/language?" + urlencode({"lang": tag(name), "next": path}), name == current)
            for name, label in LOCALES.items()]


def url_language():
    """`{"lang": tag}` when the page's URL chose its language, else {}: the arguments a form's
    action keeps, so that its answer is in the same language (no cookie may have been set)."""
    locale, explicit = locale_of(request.environ)
    return {"lang": tag(locale)} if explicit else {}


def register(app):
    """Set up Flask-Babel on the app's translations, the chooser and the templates' helpers."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    Babel(app, locale_selector=_select_locale)
    app.register_blueprint(bp)
    app.add_template_filter(translate)

    @app.context_processor
    def language():
        """`html_lang`, `html_dir` and the chooser's links for every page."""
        locale = get_locale()
        return {"html_lang": tag(locale), "html_dir": direction(locale), "languages": _chooser_links,
                "format_decimal": format_decimal, "url_language": url_language}

    @app.after_request
    def vary_on_language(response):
        """A shared cache must not give one reader's language to another."""
        if route_of(app, request.environ).localised:
            named = vary(request.environ)
            if named:
                response.vary.update(part.strip() for part in named.split(","))
        return response
