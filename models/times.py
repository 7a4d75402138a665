"""How the board keeps time: naive UTC datetimes with microseconds."""

import datetime


def utcnow():
    """Naive UTC now, with microseconds: how the board stores times."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
