"""Readers' mail over SMTP: one connection (Mailer), and the group of connections incident and
maintenance mail goes through (Mailers), claiming each reader only once the server holds all of
its message but the last line (models/mailings.py says why).

Each message (an Outgoing of workers/letters.py: envelope and bytes) is given at most
SMTP_TIMEOUT_SECONDS in all (workers/outbound.py's Deadline), not per socket operation.
"""

import concurrent.futures
import logging
import re
import smtplib
import ssl

from models import mailings
from workers.outbound import Deadline

log = logging.getLogger(__name__)
LEADING_DOT = re.compile(rb"(?m)^\.")


class Mailer:
    """One SMTP connection for one run, opened on the first message.

    smtplib's timeout bounds each socket operation, not a whole exchange (a server dribbling
    a byte a second never trips it), so the webhooks' Deadline (workers/outbound.py) cuts the
    connection when a message's total time is up; the send then fails as a broken connection does.
    """

    def __init__(self, config):
        self.config = config
        self.smtp = None

    def _open(self):
        config = self.config
        timeout = config["SMTP_TIMEOUT_SECONDS"]
        tls = config["SMTP_TLS"] or {465: "ssl", 587: "starttls"}.get(config["SMTP_PORT"], "none")
        if tls == "ssl":
            smtp = smtplib.SMTP_SSL(timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(timeout=timeout)
        self.smtp = smtp
        smtp.connect(config["SMTP_HOST"], config["SMTP_PORT"])
        if tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])

    def _socket(self):
        return self.smtp.sock if self.smtp is not None else None

    def send(self, message):
        """Send one message within SMTP_TIMEOUT_SECONDS in all; answers None, or why the server
        refused it. A broken or slow connection raises (OSError or SMTPException)."""
        return self.begin(message) or self.finish()

    def begin(self, message):
        """Give the server the whole message but its last line (".", which alone makes the server take
        it); answers None, or why the server refused the recipient. Raises, having hung up, when
        the connection broke: the server drops an unfinished message."""
        deadline = Deadline(self.config["SMTP_TIMEOUT_SECONDS"], find=self._socket)
        try:
            if self.smtp is None:
                self._open()
            return self._start(message)
        except (OSError, smtplib.SMTPException):
            self.hang_up()  # it may be mid-message, where a QUIT would be taken for its text
            raise
        finally:
            deadline.cancel()

    def finish(self, ended=False):
        """Send the last line of the message begun (unless `ended` says it went already), then read
        the server's answer. Answers None, or why the server refused it; raises when the connection
        broke (whether it left is unknown)."""
        deadline = Deadline(self.config["SMTP_TIMEOUT_SECONDS"], find=self._socket)
        try:
            if not ended:
                self.end()
            code, reply = self.smtp.getreply()
            return None if code == 250 else f"refused: {code} {reply.decode(errors='replace')}"[:500]
        except (OSError, smtplib.SMTPException):
            self.hang_up()
            raise
        finally:
            deadline.cancel()

    def end(self):
        """Send the line that ends the message begun: from here on the server takes it."""
        try:
            self.smtp.send(b".\r\n")
        except (OSError, smtplib.SMTPException):
            self.hang_up()
            raise

    def _start(self, message):
        """MAIL, RCPT, DATA and the message (an Outgoing) but its ending line (as smtplib's send_message,
        cut short). Answers None, or why the recipient cannot be sent to (nothing was sent)."""
        smtp = self.smtp
        smtp.ehlo_or_helo_if_needed()
        options = ()
        if not (message.sender + message.recipient).isascii():
            if not smtp.has_extn("smtputf8"):
                return "refused: the SMTP server does not take international addresses"
            options = ("SMTPUTF8", "BODY=8BITMIME")
        code, reply = smtp.mail(message.sender, options)
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPSenderRefused(code, reply, message.sender)
        code, reply = smtp.rcpt(message.recipient)
        if code not in (250, 251):
            smtp.rset()
            return f"refused: {message.recipient}"[:500]
        code, reply = smtp.docmd("data")
        if code != 354:
            smtp.rset()
            raise smtplib.SMTPDataError(code, reply)
        data = LEADING_DOT.sub(b"..", message.data)
        smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")
        return None

    def hang_up(self):
        """Drop the connection mid-message (the server discards what it got); the next send opens another."""
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def close(self):
        """Say goodbye to the server (never raises)."""
        if self.smtp is None:
            return
        deadline = Deadline(self.config["SMTP_TIMEOUT_SECONDS"], find=self._socket)
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        finally:
            deadline.cancel()


class Mailers:
    """SMTP_CONNECTIONS connections, through which a group of as many messages goes at once.

    Each message is begun on its own connection (all of them at once), then the readers whose
    message the server has but for its last line are claimed in one transaction
    (mailings.MailSend.claim), then those messages are finished. A worker that dies before the
    claim commits leaves unfinished messages the server drops, and the next run sends them; a
    reader another worker claimed first gets a hang-up, so its message is dropped too.
    """

    def __init__(self, config):
        self.connections = [Mailer(config) for _ in range(config["SMTP_CONNECTIONS"])]
        self.group = len(self.connections)  # messages per send: one on each connection (each opened when first used)
        self.pool = concurrent.futures.ThreadPoolExecutor(self.group)

    def send(self, messages, claim):
        """Send {reader id: message} (at most `group`); `claim(ids)` answers the ids this run may finish.
        Answers {reader id: None when sent, SKIPPED, why it was refused, or mailings.Broken}."""
        ids = list(messages)
        begun = dict(zip(ids, self.pool.map(lambda pair: _outcome(pair[0].begin, pair[1]),
                                            zip(self.connections, messages.values()))))
        ready = [i for i in ids if begun[i] is None]
        try:
            claimed = claim(ready) if ready else set()
        except BaseException:
            self._hang_up(ready, ids)
            raise
        self._hang_up([i for i in ready if i not in claimed], ids)
        outcomes = {i: mailings.Broken(o, claimed=False) if isinstance(o, Exception) else o
                    for i, o in begun.items()}
        outcomes.update((i, mailings.SKIPPED) for i in ready if i not in claimed)
        # Every claimed message's last line goes at once, in this thread: a worker that dies now
        # dies between two of these writes (microseconds) rather than between two answers.
        ended = {i: _outcome(self.connections[ids.index(i)].end) for i in ready if i in claimed}
        finishing = list(ended)
        finished = self.pool.map(lambda i: ended[i] or _outcome(self.connections[ids.index(i)].finish, True),
                                 finishing)
        for i, outcome in zip(finishing, finished):
            outcomes[i] = mailings.Broken(outcome, claimed=True) if isinstance(outcome, Exception) else outcome
        return outcomes

    def _hang_up(self, which, ids):
        for i in which:
            self.connections[ids.index(i)].hang_up()

    def close(self):
        """Say goodbye on every connection and stop the threads (never raises)."""
        for connection in self.connections:
            connection.close()
        self.pool.shutdown()


def _outcome(function, *args):
    """What `function(*args)` answers, or the connection error it raised."""
    try:
        return function(*args)
    except (OSError, smtplib.SMTPException) as error:
        return error
