"""MAIL_SENDER chooses how readers' mail leaves: SMTP (the default, tests/test_subscribe.py) or App Engine's
Mail API. The SDK's service stub does not run under pytest, so a stand-in for `google.appengine.api.mail`
records what the adapter hands it: the same multipart message, with the headers the Mail API accepts."""

import sys
import types

import pytest
import webtest

from tests.fixtures.datastore import make_app


class FakeMailApi:
    """`google.appengine.api` as far as the adapter uses it: EmailMessage(**fields).send() and wrap_wsgi_app."""

    class InvalidEmailError(Exception):
        pass

    def __init__(self):
        self.sent, self.wrapped = [], []
        api = self

        class EmailMessage:
            def __init__(self, **fields):
                self.fields = fields

            def send(self):
                if self.fields["to"].startswith("bounce"):
                    raise api.InvalidEmailError("invalid address")
                if self.fields["to"].startswith("down"):
                    raise RuntimeError("service away")
                api.sent.append(self.fields)

        self.EmailMessage = EmailMessage

    def wrap_wsgi_app(self, app):
        self.wrapped.append(app)
        return app


@pytest.fixture(scope="module")
def mail_api():
    """The stand-in, installed as google.appengine.api(.mail) for the module."""
    fake = FakeMailApi()
    api = types.ModuleType("google.appengine.api")
    api.mail, api.wrap_wsgi_app = fake, fake.wrap_wsgi_app
    saved = {name: sys.modules.get(name) for name in ("google.appengine", "google.appengine.api",
                                                      "google.appengine.api.mail")}
    sys.modules.update({"google.appengine": types.ModuleType("google.appengine"), "google.appengine.api": api,
                        "google.appengine.api.mail": fake})
    yield fake
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


@pytest.fixture(scope="module")
def board(empty_emulator, mail_api):
    """The app sending through the Mail API, on a board with one service."""
    from handlers.context import ndb_context
    from models import Service

    app = make_app(MAIL_SENDER="appengine", MAIL_FROM="Status <status@example.com>")
    with app.app_context(), ndb_context(app):
        Service.create("Web API", "The API.")
    return app


def sweep(app):
    """Run the mail worker as the cron would."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"}).get("/_tasks/mail/sweep").json


def test_the_mail_api_choice_wraps_the_app_and_sends_the_composed_messages_through_it(board, mail_api):
    from handlers.context import ndb_context
    from models import Incident
    from models.readers import Reader

    assert mail_api.wrapped  # wrap_wsgi_app, as MAIL_SENDER asked
    with board.app_context(), ndb_context(board):
        reader = Reader.sign_up("fay@example.com", True, [])
    assert sweep(board)["confirmations"] == 1
    (confirmation,) = mail_api.sent
    assert (confirmation["sender"], confirmation["to"]) == ("Status <status@example.com>", "fay@example.com")
    assert "/subscribe/confirm/" in confirmation["body"] and "/subscribe/confirm/" in confirmation["html"]
    assert "List-Unsubscribe" not in confirmation["headers"]  # only its own link before confirmation

    with board.app_context(), ndb_context(board):
        reader.confirm({})
        incident = Incident.open("API slow", ["web-api"], "Looking into it.")
        Incident.get_or_404(incident.incident_id).post_update("Fixed.", state="resolved")
    assert sweep(board)["sent"] == 2
    first, second = mail_api.sent[1:]
    assert first["subject"].endswith("API slow") and second["subject"].startswith("Re: ")
    assert first["headers"]["List-Unsubscribe"].startswith("<http://status.example.com/unsubscribe/")
    assert first["headers"]["Auto-Submitted"] == "auto-generated"
    assert second["headers"]["In-Reply-To"] == second["headers"]["References"]
    # What the Mail API refuses to take from an app is not handed to it.
    assert not {"Message-ID", "Date", "List-Unsubscribe-Post"} & set(first["headers"])
    assert "Looking into it." in first["body"] and "Looking into it." in first["html"]


def test_a_refused_recipient_is_a_refusal_and_a_failing_service_stops_the_run_as_a_broken_connection(
        board, mail_api):
    from handlers.context import ndb_context
    from models.readers import Reader
    from workers import appengine_mail
    from workers.mail import confirmation

    with board.test_request_context("/"), ndb_context(board):
        message = confirmation(board.config, Reader.sign_up("bounce@example.com", True, []))
        assert appengine_mail.AppEngineMailer(board.config).send(message).startswith("refused")
        Reader.sign_up("down@example.com", True, [])
    counts = sweep(board)
    assert counts["error"].startswith("MailServiceError") and "service away" in counts["error"]
    with ndb_context(board):  # asked again by the next run
        assert [r.address for r in Reader.confirmations_due()] == ["down@example.com"]


def test_smtp_stays_the_default_and_an_unknown_sender_stops_the_start(empty_emulator):
    from workers.mail import Mailer, Mailers, mailers_for

    one, group = mailers_for(make_app(installed=False).config)
    assert isinstance(one, Mailer) and isinstance(group, Mailers)
    group.close()
    with pytest.raises(ValueError, match="MAIL_SENDER must be one of smtp, appengine"):
        make_app(installed=False, MAIL_SENDER="carrier-pigeon")
