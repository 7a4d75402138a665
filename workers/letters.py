"""Readers' messages written once for many readers: a mail merge.

The email package writes a notification's message once per language (a Letter), with marks
where each reader's own parts go: its address, its id in the thread's Message-IDs, and the
manage token in its links. Each reader's copy (`Letter.copy_for`) is those bytes with the marks
filled in, its two text parts encoded (quoted-printable) after the filling, so every copy is
what the email package would have written for that reader alone, at a small part of the cost.

The headers that carry a mark are written as they are, one line each, never folded: a URL
or a message id has no place to fold, and the email package would otherwise turn a long one
into RFC 2047 encoded words, which mail programs do not read in List-Unsubscribe or
In-Reply-To. A copy is an Outgoing: the envelope's sender and recipient and the message's
bytes (CRLF line ends), as SMTP sends it.
"""

import email
import email.headerregistry
import email.message
import email.policy
import email.quoprimime
import email.utils
import re
import secrets
from typing import NamedTuple

# Unguessable, made anew in each process: no text an admin writes can hold one by chance.
_MARK = secrets.token_hex(8)
READER = f"r{_MARK}r"  # the reader's id, in its Message-IDs
TOKEN = f"t{_MARK}t"  # the reader's manage token, in its manage and one-click unsubscribe links
_PARTS = re.compile(rf"p{_MARK}(\d)\r\n".encode())
_FILLED = re.compile(f"{READER}|{TOKEN}")
# RFC 2045's longest quoted-printable line.
QP_LINE = 76


class _HeaderClasses(email.headerregistry.HeaderRegistry):
    """The standard header registry, each header's class made once: the registry makes a new
    class every time a header is set, a tenth of the time composing a message took."""

    def __init__(self):
        super().__init__()
        self.made = {}

    def __getitem__(self, name):
        key = name.lower()
        if key not in self.made:
            self.made[key] = super().__getitem__(name)
        return self.made[key]


POLICY = email.policy.default.clone(header_factory=_HeaderClasses())
_WIRE = POLICY.clone(linesep="\r\n")


class Outgoing(NamedTuple):
    """One message as it leaves: the envelope's sender and recipient, and the message's bytes."""

    sender: str
    recipient: str
    data: bytes

    def message(self):
        """The message parsed back (for senders that take its parts rather than its bytes)."""
        return email.message_from_bytes(self.data, policy=POLICY)


class Letter:
    """One message for many readers. `headers` are written in every copy; a value holding
    READER or TOKEN is filled in for each reader; `text` and `html` are the two parts, their
    links holding TOKEN."""

    def __init__(self, sender, headers, text, html):
        self.sender = email.utils.parseaddr(sender)[1]
        self.personal = {name: value for name, value in headers.items() if _FILLED.search(value)}
        self.parts = (text, html)
        message = email.message.EmailMessage(policy=POLICY)
        message["From"] = sender
        for name, value in headers.items():
            if name not in self.personal:
                message[name] = value
        message.set_content(f"p{_MARK}0", cte="quoted-printable")
        message.add_alternative(f"p{_MARK}1", subtype="html", cte="quoted-printable")
        # An address the envelope carries as UTF-8 (SMTPUTF8) is written so in the header too.
        wire = _WIRE if self.sender.isascii() else _WIRE.clone(utf8=True)
        self.pieces = _PARTS.split(message.as_bytes(policy=wire))

    def copy_for(self, address, reader_id, token):
        """The copy for one reader: its address, its id and its manage token filled in. A value
        that cannot be a header line (a line break in it) raises ValueError."""
        values = {READER: reader_id, TOKEN: token}

        def fill(text):
            return _FILLED.sub(lambda found: values[found.group()], text)

        lines = [("To", address), *((name, fill(value)) for name, value in self.personal.items())]
        if any("\r" in value or "\n" in value for _, value in lines):
            raise ValueError("A header value may not hold a line break.")
        head = "".join(f"{name}: {value}\r\n" for name, value in lines).encode()
        data = [head]
        for n, piece in enumerate(self.pieces):
            data.append(_encoded(fill(self.parts[int(piece)])) if n % 2 else piece)
        return Outgoing(self.sender, address, b"".join(data))


def _encoded(text):
    """A text part's body as quoted-printable, each line ended by CRLF (the email package's way)."""
    lines = text.encode("utf-8").splitlines()
    body = email.quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), QP_LINE, "\r\n")
    return body.encode("ascii")
