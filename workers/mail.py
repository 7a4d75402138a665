"""Mail to readers subscribed by e-mail: confirmations, incidents opened, updated and resolved, and
maintenance windows announced, about to start, started, updated and over.

Sent over SMTP unless MAIL_SENDER chooses App Engine's Mail API (workers/appengine_mail.py).
SMTP (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, MAIL_FROM; SMTP_TLS "starttls",
"ssl" or "none") with the standard library's smtplib, SMTP_CONNECTIONS connections per run
(incident and maintenance mail goes as many messages at once: models/mailings.py), each message
given at most SMTP_TIMEOUT_SECONDS in all (not per socket operation). Every message is plain
text and HTML (templates/mail/), carries a manage link and the one-click unsubscribe headers
of RFC 8058 (confirmations carry only their own link: nothing else goes to an unconfirmed
address), and the messages about one incident (or maintenance window) form one thread.

A notification is written once per language its readers read, per run (a Letter,
workers/letters.py), and each reader's copy fills in its address, its id and its links.

Runs are started the way the webhooks' are (workers/notify.py): a Cloud Tasks task on App
Engine, a background thread locally, and the cron sweep (/_tasks/mail/sweep) as the safety net
and in tests. Each run also deletes unconfirmed sign-ups past their time and spent counters.
"""

import datetime
import email.utils
import functools
import logging
import smtplib
import time

from flask import has_request_context, render_template, request, url_for
from babel.dates import format_skeleton
from flask_babel import force_locale, get_locale, gettext

from models import mailings
from models.outbox import MAILED_KINDS
from models.ratelimit import Hits
from models.readers import CONFIRM_MAX_AGE, Reader
from models.signals import mail_due, notification_committed
from workers import appengine_mail, letters, notify
from workers.background import failed
from workers.smtp import Mailer, Mailers

log = logging.getLogger(__name__)
NOTIFICATIONS_PER_RUN = 5
# How long one run goes on mailing, batch after batch: within the cron's minute and far within
# the 10 minutes App Engine gives a cron or task request; the next run goes on from the cursor.
RUN_SECONDS = 45


def mailers_for(config):
    """(The sender of one message, the sender of a group) that MAIL_SENDER chooses: SMTP's (the
    default) or App Engine's Mail API's."""
    if config["MAIL_SENDER"] == "appengine":
        return appengine_mail.AppEngineMailer(config), appengine_mail.AppEngineMailers(config)
    return Mailer(config), Mailers(config)


def _domain(config):
    return email.utils.parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"


def compose(config, subject, template, unsubscribe=True, headers=None, **context):
    """A multipart (text, HTML) Letter from templates/mail/<template>.txt and .html, for every reader
    it goes to: its manage and one-click unsubscribe links carry letters.TOKEN, and `headers` may
    carry letters.READER (workers/letters.py fills both in for each reader)."""
    manage = url_for("subscribe.manage", token=letters.TOKEN, _external=True)
    one_click = url_for("subscribe.unsubscribe", token=letters.TOKEN, _external=True)
    context = {**context, "manage_url": manage, "unsubscribe_url": one_click, "site_name": config["SITE_NAME"]}
    written = {"Subject": subject, "Date": email.utils.formatdate(usegmt=True), "Auto-Submitted": "auto-generated",
               **(headers or {})}
    if "Message-ID" not in written:
        written["Message-ID"] = email.utils.make_msgid(idstring=letters.READER, domain=_domain(config))
    if unsubscribe:
        written["List-Unsubscribe"] = f"<{one_click}>"
        written["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return letters.Letter(config["MAIL_FROM"], written, render_template(f"mail/{template}.txt", **context),
                          render_template(f"mail/{template}.html", **context))


def copy_for(config, letter, reader):
    """`reader`'s copy of `letter` (an Outgoing)."""
    return letter.copy_for(reader.address, reader.reader_id, reader.token(config["SECRET_KEY"], "manage"))


def language_of(reader):
    """The language of a reader's messages: the one it signed up in (English for older readers)."""
    return getattr(reader, "locale", None) or "en"


def confirmation(config, reader):
    """The message asking a reader to confirm (the only one an unconfirmed address ever gets)."""
    link = url_for("subscribe.confirm", token=reader.token(config["SECRET_KEY"], "confirm"), _external=True)
    with force_locale(language_of(reader)):
        subject = gettext("Confirm your subscription to %(site)s status", site=config["SITE_NAME"])
        letter = compose(config, subject, "confirm", unsubscribe=False, confirm_url=link,
                         hours=int(CONFIRM_MAX_AGE.total_seconds() // 3600))
    return copy_for(config, letter, reader)


def incident_letter(config, notification, language):
    """The message about one incident update, in `language`; updates after the first reply to the
    first (one thread per reader)."""
    payload = notification.payload
    incident, update = payload["incident"], payload["update"]
    domain = _domain(config)
    root = f"<incident-{incident['id']}.{letters.READER}@{domain}>"
    number = update.get("number") or 1
    headers = {"Message-ID": root} if number == 1 else {
        "Message-ID": f"<incident-{incident['id']}-{number}.{letters.READER}@{domain}>",
        "In-Reply-To": root, "References": root}
    link = url_for("site.incident", incident_id=incident["id"], _external=True)
    with force_locale(language):
        site = gettext("%(site)s status", site=config["SITE_NAME"])
        subject = f"[{site}] {incident['title']}"
        if number > 1:
            subject = "Re: " + subject  # mail readers thread on "Re: " whatever the language
        return compose(config, subject, "incident", headers=headers, incident=incident, update=update,
                       incident_url=link)


def maintenance_letter(config, notification, language):
    """The message telling one step of a maintenance window (announced, reminder, started, an update,
    completed, cancelled), in `language`; those after the announcement reply to it (one thread per window)."""
    payload = notification.payload
    window, told, update = payload["maintenance"], payload.get("told", "announced"), payload.get("update")
    domain = _domain(config)
    root = f"<maintenance-{window['id']}.{letters.READER}@{domain}>"
    headers = {"Message-ID": root} if told == "announced" else {
        "Message-ID": f"<maintenance-{window['id']}-{told}.{letters.READER}@{domain}>",
        "In-Reply-To": root, "References": root}
    link = url_for("site.maintenance", maintenance_id=window["id"], _external=True)
    starts, ends = (datetime.datetime.fromisoformat(window[f].removesuffix("Z"))
                    for f in ("scheduled_for", "scheduled_until"))
    with force_locale(language):
        site, what = gettext("%(site)s status", site=config["SITE_NAME"]), gettext("Maintenance")
        subject = f"[{site}] " + gettext("%(label)s: %(text)s", label=what, text=window["title"])
        if told != "announced":
            subject = "Re: " + subject
        when = gettext("%(start)s to %(end)s", start=_moment(starts), end=_moment(ends)) + " UTC"
        return compose(config, subject, "maintenance", headers=headers, window=window, told=told,
                       update=update, when=when, maintenance_url=link)


def _moment(moment):
    """A time as the message's language writes it: 17 May 2024 14:03 (17 mai 2024 14:03)."""
    locale = get_locale()
    day = moment.strftime("%-d %b %Y") if str(locale) == "en" else format_skeleton("yMMMd", moment, locale=locale)
    return f"{day} {moment:%H:%M}"


LETTERS = {"incident": incident_letter, "maintenance": maintenance_letter}


def _base_url(app):
    if app.config["APP_URL"]:
        return app.config["APP_URL"]
    return request.url_root if has_request_context() else "http://127.0.0.1:8080/"


def sweep(app, seconds=RUN_SECONDS):
    """Send due confirmations and, for up to `seconds`, the next batches of each waiting notification;
    delete expired sign-ups and counters. Answers counts (an SMTP failure is logged and counted,
    never raised)."""
    counts = {"expired": Reader.expire_pending(), "counters": Hits.sweep(), "confirmations": 0, "sent": 0}
    mailer, mailers = mailers_for(app.config)
    pace = Pace(app.config["MAIL_RATE"])
    try:
        with app.test_request_context("/", base_url=_base_url(app)):
            for found in Reader.confirmations_due():
                reader = Reader.take_confirmation(found.key)
                if reader is None:
                    continue
                pace.wait(1)
                try:
                    counts["confirmations"] += not mailer.send(confirmation(app.config, reader))
                except (OSError, smtplib.SMTPException):
                    Reader.confirmation_failed(reader.key)
                    raise
            ends = time.monotonic() + seconds
            for n, notification in enumerate(mailings.to_mail(NOTIFICATIONS_PER_RUN)):
                left = ends - time.monotonic()
                if n and left <= 0:  # a run sends at least one group, however late it is
                    break
                counts["sent"] += mailings.mail_for(notification, functools.partial(
                    _send_group, app.config, mailers, _Letters(app.config, notification), pace), left,
                    group=min(mailers.group, pace.group))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Sending mail stopped (the next run goes on): %s", error)
        counts["error"] = f"{type(error).__name__}: {error}"[:500]
    finally:
        mailer.close()
        mailers.close()
    return counts


class _Letters(dict):
    """A notification's letter in each of its readers' languages, each written the first time one is asked."""

    def __init__(self, config, notification):
        super().__init__()
        self.config, self.notification = config, notification

    def __missing__(self, language):
        self[language] = LETTERS[self.notification.kind](self.config, self.notification, language)
        return self[language]


def _send_group(config, mailers, letters_by_language, pace, readers, claim):
    """Each of `readers`' copy of the notification's letter, sent as one group (Mailers.send) when
    `pace` allows; a copy that cannot be written (an address no header can hold) is that reader's refusal."""
    copies, refused = {}, {}
    for reader in readers:
        try:
            copies[reader.reader_id] = copy_for(config, letters_by_language[language_of(reader)], reader)
        except ValueError as error:
            refused[reader.reader_id] = f"refused: {error}"
    if not copies:
        return refused
    pace.wait(len(copies))
    return {**mailers.send(copies, claim), **refused}


class Pace:
    """At most `rate` messages a second, the provider's limit (0: none), per mail run: `wait(count)`
    sleeps, before `count` more go, as long as those already sent call for. A group is at most a
    second's worth (`group`), so no wait outlasts a run's time."""

    def __init__(self, rate, clock=None, sleep=None):
        self.rate, self.clock, self.sleep = rate, clock or time.monotonic, sleep or time.sleep
        self.group = max(1, int(rate)) if rate > 0 else float("inf")
        self.next = self.clock()

    def wait(self, count):
        """Sleep until `count` more messages may go, and count them as gone."""
        if self.rate <= 0:
            return
        now = self.clock()
        if self.next > now:
            self.sleep(self.next - now)
        self.next = max(self.next, now) + count / self.rate


class Dispatcher(notify.Dispatcher):
    """Starts a mail run once a notification readers are mailed (or a sign-up) commits, as the webhooks'
    dispatcher does; a run asked for while another waits to start is that one."""

    THREADS = 1
    COALESCE = True

    def start(self):
        """Listen to every namespace; a run is started only for this app's (tests move the app)."""
        for signal in (notification_committed, mail_due):
            signal.disconnect(self.enqueued)
            signal.connect(self.enqueued)

    def enqueued(self, namespace, key=None, kind=None, **_):
        """Start a run for this app's namespace only, and not for a notification nobody is mailed (a
        status change: an alert storm makes hundreds) (never raises)."""
        if namespace == (self.app.config["NDB_NAMESPACE"] or "") and kind in (None, *MAILED_KINDS):
            super().enqueued(namespace, key)

    def _push_task(self, notification_id):
        from google.cloud import tasks_v2

        if self.tasks_client is None:
            self.tasks_client = tasks_v2.CloudTasksClient()
        task = {"app_engine_http_request": {"http_method": tasks_v2.HttpMethod.POST, "relative_uri": "/_tasks/mail"}}
        self.tasks_client.create_task(parent=self.app.config["OUTBOX_QUEUE"], task=task)

    def _deliver_in_background(self, notification_id):
        try:
            with self.app.app_context(), notify.ndb_context(self.app):
                sweep(self.app)
        except Exception:
            failed(log, "A mail run failed; the sweep will go on")
