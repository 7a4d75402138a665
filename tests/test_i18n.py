"""The reader's language: pages, feeds and e-mails in each shipped locale, and a page cache that
never gives one reader's language to another nor grows with the languages readers send."""

import datetime
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
    """One service, down since a known time, on the module's app (which mails through `mailbox`)."""
    from handlers.context import ndb_context
    from models import Event, Service, install

    module_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, MAIL_FROM="Status <status@example.com>")
    with module_app.app_context(), ndb_context(module_app):
        install()
        service = Service.create("Web API", "The REST API.")
        Event.post(service, "Payments fail.", "down", at=AT)
    return module_app


def reader(app, **headers):
    """A browser sending `headers` (Accept-Language, Cookie) with each request."""
    client = make_client(app)
    client.extra_environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
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
