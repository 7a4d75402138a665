"""The reader's language: pages, feeds and e-mails in each shipped locale, and a page cache that
never gives one reader's language to another nor grows with the languages readers send."""

import datetime
import re
import time

import feedparser
import pytest
from babel.dates import format_skeleton

from handlers.i18n import LOCALES
from tests.fixtures.datastore import make_client
from tests.test_subscribe import link, sign_up, sweep

pytestmark = pytest.mark.one_board

# The front page's banner while a service is down, in each language (the catalogues' words).
BANNER = {
    "en": "Some services are down",
    "fr": "Certains services sont en panne",
    "de": "Einige Dienste sind ausgefallen",
    "es": "Algunos servicios están caídos",
    "pt_BR": "Alguns serviços estão fora do ar",
    "ja": "一部のサービスが停止しています",
}
TAGS = {name: name.replace("_", "-") for name in LOCALES}
AT = datetime.datetime(2024, 5, 17, 14, 3)


@pytest.fixture(scope="module")
def board(module_app, mailbox):  # noqa: F811 (the fixture imported above)
    """One service, down since a known time, with two days of response times of 1,200 to 1,206 ms,
    on the module's app (which mails through `mailbox`)."""
    from handlers.context import ndb_context
    from models import Event, Service, install, utcnow
    from models.series import PROBE, SeriesDay

    module_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, MAIL_FROM="Status <status@example.com>")
    with module_app.app_context(), ndb_context(module_app):
        install()
        service = Service.create("Web API", "The REST API.")
        Event.post(service, "Payments fail.", "down", at=AT)
        now = utcnow()
        SeriesDay.add("web-api", PROBE, [(now - datetime.timedelta(minutes=5 * n), 1200 + n % 7) for n in range(576)])
    return module_app


def reader(app, remote_addr=None, **headers):
    """A browser sending `headers` (Accept-Language, Cookie) with each request (from `remote_addr`:
    each test that signs up comes from its own address, so none meets another's rate limit)."""
    client = make_client(app)
    client.extra_environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    if remote_addr:
        client.extra_environ["REMOTE_ADDR"] = remote_addr
    return client


def local_date(locale):
    """How the board writes AT's date in `locale` (English as it always has)."""
    return "17 May 2024" if locale == "en" else format_skeleton("yMMMd", AT, locale=locale)


def cache_state(answer):
    return answer.headers["Server-Timing"].split('desc="')[1].split('"')[0]


@pytest.mark.parametrize("locale", list(LOCALES))
def test_the_board_in_each_language(board, locale):
    page = make_client(board).get(f"/?lang={TAGS[locale]}")
    assert f'<html lang="{TAGS[locale]}" dir="ltr">' in page.text
    assert BANNER[locale] in page.text
    assert f"{local_date(locale)}" in page.text and "14:03 UTC" in page.text
    assert "Payments fail." in page.text and "Web API" in page.text  # admins' words as written
    assert "Vary" not in page.headers  # the URL alone chose the language


def test_a_page_cached_in_one_language_is_never_served_in_another(board):
    cache = board.wsgi_app
    for _ in range(2):  # the second round comes from the cache, each copy in its own language
        for header, locale in (("fr-CA,fr;q=0.9", "fr"), ("de", "de"), (None, "en"), ("ja", "ja")):
            page = reader(board, **({"accept_language": header} if header else {})).get("/summary")
            assert f'<html lang="{TAGS[locale]}"' in page.text, (header, cache_state(page))
            assert {"Accept-Language", "Cookie"} <= {part.strip() for part in page.headers["Vary"].split(",")}
    assert cache_state(page) == "hit"
    assert sum(1 for key in cache.pages.entries if key[2] == "/summary") == 4


def test_the_chooser_sets_the_cookie_and_the_cookie_chooses(board):
    client = make_client(board)
    chooser = client.get("/summary")
    assert 'href="/language?lang=pt-BR&amp;next=%2Fsummary"' in chooser.text
    answer = client.get("/language?lang=pt-BR&next=/summary", status=303)
    assert answer.headers["Location"].endswith("/summary?lang=pt-BR")
    assert "lang=pt-BR" in answer.headers["Set-Cookie"]
    page = client.get("/summary", headers={"Accept-Language": "de"})  # the cookie outranks the browser
    assert '<html lang="pt-BR"' in page.text and "Resumo" in page.text
    away = client.get("/language?lang=pt-BR&next=//evil.example/", status=303)
    assert away.headers["Location"].endswith("/?lang=pt-BR")


def test_the_chooser_keeps_only_the_arguments_a_page_declares(board):
    """A cached page is shared: a reader's own arguments must not ride along in its links."""
    client = make_client(board)
    page = client.get("/service-lists?status=up&utm_source=poisoned-marker")
    assert "poisoned-marker" not in page.text and "next=%2Fservice-lists%3Fstatus%3Dup" in page.text
    assert "evil" not in client.get("/auth/sign-in?next=/%09/evil.com").text


def test_unknown_languages_fall_back_to_english_and_make_no_cache_entries(board):
    cache = board.wsgi_app
    make_client(board).get("/")
    kept = len(cache)
    for n in range(30):
        page = reader(board, accept_language=f"x{n}-Q{n},zz;q=0.5", cookie=f"lang=q{n}").get(f"/?lang=x{n}&_={n}")
        assert '<html lang="en"' in page.text and BANNER["en"] in page.text
    assert len(cache) == kept


def test_the_json_api_does_not_change_with_the_language(board):
    plain = make_client(board).get("/api/v1/services")
    french = reader(board, accept_language="fr", cookie="lang=fr").get("/api/v1/services?lang=fr")
    assert french.body == plain.body and "Accept-Language" not in french.headers.get("Vary", "")


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_the_feeds_follow_the_language(board, path):
    answer = reader(board, accept_language="de").get(path)
    feed = feedparser.parse(answer.body)
    assert feed.feed.title == "Status von Stashboard" and feed.feed.language == "de"
    assert feed.entries[0].title == "[Web API - Down] Payments fail."  # admins' words as written
    french = feedparser.parse(make_client(board).get(f"{path}?lang=fr").body)
    assert french.feed.title == "État de Stashboard" and french.feed.language == "fr"


def test_a_reader_gets_mail_in_the_language_it_signed_up_in(board, mailbox):  # noqa: F811
    client = reader(board, accept_language="ja,en;q=0.5")
    sign_up(client, "yuki@example.com")
    sweep(board)
    deadline = time.monotonic() + 10
    while not mailbox.to("yuki@example.com") and time.monotonic() < deadline:
        time.sleep(0.05)
    (message,) = mailbox.to("yuki@example.com")
    assert "購読を確認してください" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "確認するには" in text and link(message, "/subscribe/confirm/")
    assert '<html lang="ja"' in message.get_body(("html",)).get_content()


def test_answers_the_same_in_every_language_are_kept_once_without_vary(board):
    cache = board.wsgi_app
    for header in ("fr", "de", "ja", None):
        badge = reader(board, **({"accept_language": header} if header else {})).get("/badges/board.svg")
        assert "Vary" not in badge.headers
    assert sum(1 for key in cache.pages.entries if key[2] == "/badges/board.svg") == 1


# The response-time chart's words and figures in two languages (the catalogues' words, CLDR's
# numbers: French groups with a narrow no-break space and writes a decimal comma).
CHART = {
    "fr": {"caption": "Temps de réponse sur les 24 dernières heures : moyenne",
           "figures": ("minimum 1\u202f200,0 ms", "maximum 1\u202f206,0 ms"),
           "periods": ["24 heures", "7 jours", "30 jours"], "table": "Temps de réponse sous forme de tableau",
           "heads": ["Début (UTC)", "Minimum", "Moyenne", "Maximum", "Échantillons"],
           "hint": "Mesuré par la vérification HTTP du service"},
    "ja": {"caption": "応答時間（過去 24 時間）：平均",
           "figures": ("最小 1,200.0 ms", "最大 1,206.0 ms"),
           "periods": ["24 時間", "7 日間", "30 日間"], "table": "応答時間（表形式）",
           "heads": ["開始 (UTC)", "最小", "平均", "最大", "サンプル数"],
           "hint": "サービスの HTTP チェックによる計測です。"},
}
# What the chart says in English: none of it may be left on a page in another language.
ENGLISH_CHART = ("Response time", "Over the last", "as a table", "From (UTC)", "Lowest", "Average", "Highest",
                 "Samples", "Measured by", "hours", "days", "average", "lowest", "highest", "recorded")


def text_of(node):
    """A node's text with its markup's line breaks and indents made single spaces (and only those:
    the no-break spaces CLDR writes stay what they are)."""
    return re.sub(r"[ \t\n]+", " ", node.get_text(" ")).strip()


@pytest.mark.parametrize("locale", ["fr", "ja"])
def test_the_response_time_chart_speaks_the_readers_language(board, locale):
    from models import utcnow

    words = CHART[locale]
    page = reader(board, accept_language=locale).get("/services/web-api")
    charts = page.html.select_one("section.charts")
    caption = charts.select_one("figcaption").get_text()
    assert caption.startswith(words["caption"]) and all(figure in caption for figure in words["figures"])
    assert [link.get_text() for link in charts.select(".periods a")] == words["periods"]
    assert charts.select_one("summary").get_text() == words["table"]
    assert [head.get_text() for head in charts.select("thead th")] == words["heads"]
    assert words["hint"] in text_of(charts)
    # Dates the language's way: today's on the axis' right end and in the table's newest rows.
    today = utcnow().date()
    assert charts.select("svg text")[-1].get_text().startswith(format_skeleton("MMMd", today, locale=locale) + " ")
    rows = [row.get_text() for row in charts.select("tbody th")]
    assert rows[-1].startswith(format_skeleton("yMMMd", today, locale=locale) + " ")
    assert not [english for english in ENGLISH_CHART if english in text_of(charts)]


def test_a_chart_page_is_kept_once_per_language(board):
    cache = board.wsgi_app
    for _ in range(2):  # the second round comes from the cache, each copy in its own language
        for header, locale in (("fr", "fr"), ("ja", "ja"), (None, "en")):
            page = reader(board, **({"accept_language": header} if header else {})).get("/services/web-api")
            caption = page.html.select_one("figcaption").get_text()
            assert caption.startswith(CHART[locale]["caption"] if locale != "en" else "Response time, last 24 hours")
    assert cache_state(page) == "hit"
    assert sum(1 for key in cache.pages.entries if key[2] == "/services/web-api") == 3


# The uptime calendar's words in two languages; the service is down the whole time: 0 % uptime.
CALENDAR = {
    "fr": {"uptime": "0,000 % de disponibilité", "legend": ["Aucun problème", "Maintenance", "Avertissement"],
           "day": "{date} : Down"},
    "ja": {"uptime": "稼働率 0.000 %", "legend": ["問題なし", "メンテナンス", "警告"], "day": "{date}：Down"},
}


@pytest.mark.parametrize("locale", ["fr", "ja"])
def test_the_uptime_calendar_speaks_the_readers_language(board, locale):
    from models import utcnow

    words = CALENDAR[locale]
    page = reader(board, accept_language=locale).get("/services/web-api/uptime")
    today = utcnow().date()
    month = page.html.select("section.calendar-month")[0]
    assert month.h2.get_text().split()[0] == format_skeleton("yMMMM", today, locale=locale).split()[0]
    assert words["uptime"] in text_of(month.h2)
    # A day's label: its date the language's way, the status as the admin named it, punctuated as the language does.
    label = month.select_one(f'li.calendar-day:nth-of-type({today.day}) .visually-hidden').get_text()
    assert label.startswith(words["day"].format(date=format_skeleton("yMMMd", today, locale=locale)))
    legend = [item.get_text(strip=True) for item in page.html.select(".calendar-legend li")]
    assert legend[:3] == words["legend"]
    english = ("No problems", "No data", "Colours", "Each day", "Days are UTC", "uptime", "for ")
    assert not [text for text in english if text in text_of(page.html.select_one("main"))]


def test_an_incident_reaches_a_french_reader_in_french(board, mailbox):  # noqa: F811
    from handlers.context import ndb_context
    from models import Incident

    client = reader(board, accept_language="fr", remote_addr="10.9.0.2")
    sign_up(client, "amelie@example.com")
    (confirmation,) = delivered(board, mailbox, "amelie@example.com", 1)
    assert "Vous êtes abonné" in client.get(link(confirmation, "/subscribe/confirm/")).forms[0].submit().text
    with board.app_context(), ndb_context(board):
        Incident.open("Paiements lents", ["web-api"], "Nous examinons le problème.")
    message = delivered(board, mailbox, "amelie@example.com", 2)[-1]
    assert message["Subject"] == "[État de Stashboard] Paiements lents"  # the admin's title as written
    text = message.get_body(("plain",)).get_content()
    for french in ("Investigation en cours · impact aucun", "Nous examinons le problème.",
                   "Suivre l’incident : http", "Changer de services ou se désabonner : http",
                   "Vous recevez ceci car vous êtes abonné à l’état de Stashboard."):
        assert french in text
    html = message.get_body(("html",)).get_content()
    assert '<html lang="fr"' in html
    for english in ("Investigating", "impact none", "Follow the incident", "Change services", "You get this"):
        assert english not in text and english not in html


def delivered(app, mailbox, address, count):
    """The messages to `address` once there are `count` (the mail worker run as the cron would)."""
    sweep(app)
    deadline = time.monotonic() + 10
    while len(mailbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mailbox.to(address)) == count
    return mailbox.to(address)


def test_messages_made_in_code_are_translated_on_pages_and_english_in_the_api(board):
    refused = reader(board, accept_language="ja").get("/service-lists?filter=<b>nope</b>", status=400)
    assert "サービスリスト「&lt;b&gt;nope&lt;/b&gt;」はありません。" in refused.text  # the reader's words escaped
    assert "<b>nope" not in refused.text and "There is no" not in refused.text
    french = reader(board, accept_language="fr", remote_addr="10.9.0.3")
    form = french.get("/subscribe").forms[0]
    form["email"] = "not an address"
    page = form.submit(status=400)
    assert "Nous ne pouvons pas écrire à cette adresse e-mail : " in page.html.select_one(".form-errors").get_text()
    assert "That is not an e-mail address" not in page.text
    period = reader(board, accept_language="fr").get("/services/web-api?period=1y", status=400)
    assert "'period' doit être l’une de ces valeurs : 24h, 7d, 30d." in period.html.select_one("main").get_text()
    api = reader(board, accept_language="fr").get("/api/v1/services/web-api/events?cursor=!!", status=400)
    assert api.json["message"] == "That page link is not valid: start again from the first page."


def test_a_subscription_form_chosen_in_the_url_answers_in_that_language_without_a_cookie(board):
    """A reader who came by a `?lang=` link (no cookie, a browser in English) stays in its language."""
    japanese = reader(board, accept_language="en", remote_addr="10.9.0.4")
    form = japanese.get("/subscribe?lang=ja").forms[0]
    assert "lang=ja" in form.action
    form["email"] = "not an address"
    page = form.submit(status=400)
    assert page.html.select_one("html")["lang"] == "ja" and "That is not an e-mail address" not in page.text
