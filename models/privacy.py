"""What a subscriber may take away and erase, and what an admin sees of subscribers.

A reader (e-mail) or a channel (webhook, Slack, Teams, Discord) downloads what is stored about
it, and about it only, from its manage link, and deletes it there: the subscriber and the
per-recipient records that name it (a reader's MailSend, a channel's Delivery) go in one
transaction. An admin removes one subscriber the same way, audited without its address or URL
(the entry names the reader by its id, a hash of the address; Reader and Channel leave their
secrets out of every snapshot with NOT_AUDITED).

The admin's counts are Datastore count aggregations (RunAggregationQuery): one small RPC per
count, however many subscribers there are, all sent at once; nothing is kept on write. The
Datastore emulator does not implement aggregations, so there (and wherever the method is
missing) each count is a keys-only query capped at COUNT_CAP, shown as "at least".
"""

from google.api_core import exceptions as api_exceptions
from google.cloud import ndb
from google.cloud.datastore_v1.types import datastore as datastore_pb2
from google.cloud.datastore_v1.types import entity as entity_pb2
from google.cloud.datastore_v1.types import query as query_pb2
from google.cloud.ndb import _datastore_api, _datastore_query
from google.cloud.ndb import context as context_module

from models import audit
from models.channels import KINDS, Channel
from models.channels import NOT_SUBSCRIBED as CHANNEL_GONE
from models.errors import InvalidInput, NotFound
from models.mailings import MailSend
from models.outbox import Delivery
from models.readers import NOT_SUBSCRIBED as READER_GONE
from models.readers import Reader, clean_address, reader_id

# The most per-recipient records erased in the subscriber's own transaction (a transaction
# changes at most 500 entities); older ones beyond it go first, in batches of this size.
ERASE_BATCH = 400
# What an export lists of what was sent: the newest records, at most this many.
EXPORT_SENT_MAX = 1000
COUNT_TIMEOUT_SECONDS = 10
COUNT_CAP = 10000
_aggregations = {"missing": False}  # set once the Datastore said it has no RunAggregationQuery


def _when(moment):
    """A stored (naive UTC) time as the export writes it."""
    return moment.isoformat() + "Z" if moment else None


def _records_of(subscriber):
    """The query for the per-recipient records that name `subscriber` (a Reader or a Channel)."""
    if isinstance(subscriber, Reader):
        return MailSend.query(MailSend.reader == subscriber.reader_id)
    return Delivery.query(Delivery.subscriber == subscriber.key)


def export(subscriber):
    """Everything stored about one reader or channel, as a JSON-ready dict (nobody else's data)."""
    records = _records_of(subscriber).fetch(EXPORT_SENT_MAX)
    if isinstance(subscriber, Reader):
        return {
            "subscription": "email", "address": subscriber.address, "state": subscriber.state,
            "everything": subscriber.everything, "services": list(subscriber.services),
            "language": subscriber.locale or "en", "signed_up": _when(subscriber.created),
            "confirmed": _when(subscriber.confirmed),
            "sent": sorted(({"notification": record.key.id().rpartition(".")[0], "state": record.state,
                             "at": _when(record.at)} for record in records), key=lambda item: item["at"] or ""),
        }
    # The URL is left out: for Slack and Discord it is a bearer secret, and its owner has it.
    return {
        "subscription": subscriber.kind, "state": subscriber.state, "everything": subscriber.everything,
        "services": list(subscriber.services), "signed_up": _when(subscriber.created),
        "confirmed": _when(subscriber.confirmed),
        "sent": sorted(({"notification": record.notification.id(), "kind": record.kind, "state": record.state,
                         "attempts": record.attempts, "at": _when(record.created)} for record in records),
                       key=lambda item: item["at"] or ""),
    }


def _older_records(subscriber):
    """Delete, in batches, the records beyond the last ERASE_BATCH; answers those left (at most ERASE_BATCH)."""
    while True:
        keys = _records_of(subscriber).fetch(ERASE_BATCH + 1, keys_only=True)
        if len(keys) <= ERASE_BATCH:
            return keys
        ndb.delete_multi(keys[:ERASE_BATCH])


def erase(subscriber):
    """Delete a reader or channel and the records that name it (its own request, not audited)."""
    records = _older_records(subscriber)

    @ndb.transactional()
    def txn():
        stored = subscriber.key.get()
        if stored is None or stored.nonce != subscriber.nonce:
            raise NotFound(READER_GONE if isinstance(subscriber, Reader) else CHANNEL_GONE)
        ndb.delete_multi([subscriber.key, *records])

    txn()


def find(address=None, channel=None):
    """The reader with this exact address, or the channel with this id (the admin's search); NotFound if none."""
    if address:
        found = Reader.get_by_id(reader_id(clean_address(address)))
        if found is None:
            raise NotFound("No reader has this address.")
        return found
    ident = (channel or "").strip()
    if not ident:
        raise InvalidInput("Give an e-mail address or a channel id.")
    found = Channel.get_by_id(ident.removeprefix("channel.")) if len(ident) <= 60 else None
    if found is None:
        raise NotFound("No channel has this id.")
    return found


def by_id(kind, ident):
    """The reader ("reader") or channel ("channel") with this key id; NotFound if there is none."""
    model = {"reader": Reader, "channel": Channel}.get(kind)
    found = model.get_by_id(ident) if model is not None and 0 < len(ident) <= 60 else None
    if found is None:
        raise NotFound(f"No {kind if model else 'subscriber'} '{ident[:60]}'.")
    return found


def remove(subscriber):
    """An admin removes a reader or channel and the records that name it, audited (no address or URL in the entry)."""
    records = _older_records(subscriber)

    def apply(stored):
        ndb.delete_multi(records)
        return "delete", {"records_erased": len(records)}

    label = "reader" if isinstance(subscriber, Reader) else "channel"
    audit.change(subscriber.key, label, apply)


# --- counts ------------------------------------------------------------------------


def _count_request(kind, equal):
    """A RunAggregationQuery request counting `kind` entities whose properties equal `equal`."""
    client = context_module.get_context().client
    filters = [_datastore_query.make_filter(name, "=", value)
               for name, value in equal.items()]
    query = query_pb2.Query(kind=[query_pb2.KindExpression(name=kind)])
    if len(filters) == 1:
        query.filter = query_pb2.Filter(property_filter=filters[0])
    elif filters:
        query.filter = query_pb2.Filter(composite_filter=_datastore_query.make_composite_and_filter(filters))
    count = query_pb2.AggregationQuery.Aggregation(alias="n", count=query_pb2.AggregationQuery.Aggregation.Count())
    aggregation = query_pb2.AggregationQuery(nested_query=query, aggregations=[count])
    namespace = context_module.get_context().get_namespace() or client.namespace
    request = datastore_pb2.RunAggregationQueryRequest(
        project_id=client.project, database_id=client.database or "",
        partition_id=entity_pb2.PartitionId(project_id=client.project, database_id=client.database or "",
                                            namespace_id=namespace or ""),
        aggregation_query=aggregation)
    return request


WANTED = {"email_confirmed": (Reader, {"state": "confirmed"}), "email_pending": (Reader, {"state": "pending"}),
          **{kind: (Channel, {"state": "active", "kind": kind}) for kind in KINDS},
          "channels_pending": (Channel, {"state": "pending"})}


def counts():
    """{what: (how many, whether capped)}: e-mail readers confirmed and pending, active channels of each
    kind, pending channels."""
    if not _aggregations["missing"]:
        try:
            return _aggregated()
        except api_exceptions.MethodNotImplemented:
            _aggregations["missing"] = True
    found = {}
    for name, (model, equal) in WANTED.items():
        query = model.query(*[getattr(model, field) == value for field, value in equal.items()])
        number = len(query.fetch(COUNT_CAP, keys_only=True))
        found[name] = (number, number >= COUNT_CAP)
    return found


def _aggregated():
    """counts() by count aggregations, sent at once."""
    calls = {}
    for name, (model, equal) in WANTED.items():
        request = _count_request(model._get_kind(), equal)
        metadata = _datastore_api._add_routing_info((), request)
        calls[name] = _datastore_api.make_call("run_aggregation_query", request, timeout=COUNT_TIMEOUT_SECONDS,
                                               retries=0, metadata=metadata)
    found = {}
    for name, call in calls.items():
        results = call.result().batch.aggregation_results
        found[name] = (results[0].aggregate_properties["n"].integer_value if results else 0, False)
    return found
