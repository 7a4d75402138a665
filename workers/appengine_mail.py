"""Readers' mail through App Engine's Mail API, the second way to send (MAIL_SENDER="appengine").

The messages are the ones SMTP sends (workers/mail.py's `compose`, each reader's copy filled
in by workers/letters.py and read back here): this adapter hands their plain and HTML parts
and the headers the Mail API lets an app set to the bundled service
(`google.appengine.api.mail`, from appengine-python-standard), which needs `app_engine_apis:
true` in app.yaml and the app wrapped by `wrap_wsgi_app` (main.py does that only when
MAIL_SENDER asks). Under `make devserver` dev_appserver.py's mail stub takes the messages.

What the Mail API does not let an app set is left out, and the service writes its own:
Message-ID and Date (so updates of an incident still reply to the first message's ID by
In-Reply-To and References, but mail readers thread them by subject), and
List-Unsubscribe-Post (so List-Unsubscribe is offered as a link, not a one-click POST).
The package is imported only when a message is sent, so SMTP deployments never load it.
"""

from models import mailings

# The headers the Mail API accepts (google.appengine.api.mail.HEADER_WHITELIST) that our messages carry.
PASSED_HEADERS = ("Auto-Submitted", "In-Reply-To", "References", "List-Unsubscribe", "List-Id")
SENDERS = ("smtp", "appengine")


class MailServiceError(OSError):
    """The Mail API could not take a message: the run stops as it does when an SMTP connection breaks."""


def fields(outgoing):
    """The keyword arguments of `google.appengine.api.mail.EmailMessage` for one message (an Outgoing)."""
    message = outgoing.message()
    found = {"sender": message["From"], "to": message["To"], "subject": message["Subject"],
             "body": message.get_body(("plain",)).get_content()}
    html = message.get_body(("html",))
    if html is not None:
        found["html"] = html.get_content()
    headers = {name: str(message[name]) for name in PASSED_HEADERS if message[name] is not None}
    if headers:
        found["headers"] = headers
    return found


class AppEngineMailer:
    """Sends each message through the Mail API; the same interface as workers/mail.py's SMTP Mailer."""

    def __init__(self, config):
        self.config = config

    def send(self, message):
        """Send one message; answers None, or why the service refused its recipient. A service
        failure raises MailServiceError (the sweep stops and the next run goes on)."""
        from google.appengine.api import mail

        try:
            mail.EmailMessage(**fields(message)).send()
        except mail.InvalidEmailError as error:
            return f"refused: {error}"[:500]
        except Exception as error:  # any other failure of the bundled service: unknown whether it left
            raise MailServiceError(f"{type(error).__name__}: {error}") from error
        return None

    def close(self):
        """Nothing to close: each message is one call to the service."""


class AppEngineMailers:
    """A group of messages through the Mail API (SMTP's is workers/mail.py's Mailers): the service
    takes a message in one call, so there is no moment when it holds all but the last line; the
    readers are claimed first, then each is sent, so a worker killed between the two loses those
    messages rather than sending any twice."""

    group = 10  # messages claimed at once: a worker killed mid-group loses at most the rest of them

    def __init__(self, config):
        self.mailer = AppEngineMailer(config)

    def send(self, messages, claim):
        """Send {reader id: message}; answers {reader id: None when sent, SKIPPED, why it was refused,
        or mailings.Broken}."""
        claimed = claim(list(messages))
        outcomes = {}
        for reader_id, message in messages.items():
            if reader_id not in claimed:
                outcomes[reader_id] = mailings.SKIPPED
                continue
            try:
                outcomes[reader_id] = self.mailer.send(message)
            except MailServiceError as error:
                outcomes[reader_id] = mailings.Broken(error, claimed=True)
        return outcomes

    def close(self):
        """Nothing to close."""


def wrap(app):
    """Give the app access to App Engine's bundled services when MAIL_SENDER asks for the Mail API;
    an unknown MAIL_SENDER stops the start with a message saying what it may be."""
    if app.config["MAIL_SENDER"] not in SENDERS:
        raise ValueError(f"MAIL_SENDER must be one of {', '.join(SENDERS)}, not '{app.config['MAIL_SENDER']}'.")
    if app.config["MAIL_SENDER"] != "appengine":
        return
    from google.appengine.api import wrap_wsgi_app

    app.wsgi_app = wrap_wsgi_app(app.wsgi_app)
