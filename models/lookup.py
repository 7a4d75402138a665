"""Reads answered as stored (raw entity protobufs), for the reads made most often: one Lookup
of hundreds of small documents on every uncached page (the board's rows,
models/board_index.py), the page cache's look at recent audit entries every few seconds
(a projection query: models/audit.py), and a page of a service's events, hundreds of them
(models/event.py: half of such a page's CPU went into NDB turning its keys from protobufs).

`ndb.get_multi` makes every key a tasklet of its own, converts every key and every entity
through three representations and builds a model for each: about 0.4 ms of CPU a key.
Measured in-process on the emulator, a read of 200 board rows spent 85 % of an uncached
`/api/v1/services` there. Here the keys' protobufs are made once per key and kept, the
request is one Lookup through NDB's own call (so the RPC is counted, given the request's
deadline and watched by the outage breaker as every other: handlers/context.py), and the
caller reads the one property it needs from each answer (a projection query of 300 audit
entries, likewise, spent 0.5 ms a row building models). Inside a transaction, and for
anything but plain reads, `ndb.get_multi` is the way.

It leans on two of google-cloud-ndb's private functions (`_datastore_api.make_call`,
`model._entity_from_protobuf`); google-cloud-ndb is pinned, and tests/test_board_index.py
reads boards through it. `allocate_ids_async` reserves ids under many parents in one RPC likewise.
"""

import datetime
import functools
import zlib

from google.cloud.datastore_v1.types import datastore as datastore_pb2
from google.cloud.datastore_v1.types import entity as entity_pb2
from google.cloud.datastore_v1.types import query as query_pb2
from google.cloud.ndb import _datastore_api
from google.cloud.ndb import context as context_module
from google.cloud.ndb import key as ndb_key
from google.cloud.ndb import model as ndb_model
from google.cloud.ndb import tasklets

EPOCH = datetime.datetime(1970, 1, 1)
# The protobufs of the keys read lately: a board's rows of a few namespaces.
KEYS_KEPT = 8192
# What zlib's compressed bytes start with (as NDB checks them: BlobProperty(compressed=True)).
_ZLIB_MARKERS = (b"x\x9c", b"x^", b"x\x01", b"x\xda")


@functools.lru_cache(maxsize=KEYS_KEPT)
def _key_pb(key):
    return key._key.to_protobuf()._pb


def lookup(keys):
    """[The raw stored entity (protobuf) or None for each of `keys` (ndb.Key)], in one Lookup RPC
    (another only for keys the Datastore defers)."""
    return lookup_async(keys).result()


@tasklets.tasklet
def lookup_async(keys):
    """A future of what `lookup` answers: its RPC is sent at once, while the caller goes on."""
    context_client = context_module.get_context().client
    wanted = [_key_pb(key) for key in keys]
    found, todo = {}, {pb.SerializeToString(): pb for pb in wanted}
    while todo:
        raw = datastore_pb2.LookupRequest.pb()(project_id=context_client.project,
                                               database_id=context_client.database or "")
        raw.keys.extend(todo.values())
        request = datastore_pb2.LookupRequest.wrap(raw)
        metadata = _datastore_api._add_routing_info((), request)
        answer = (yield _datastore_api.make_call("lookup", request, metadata=metadata))._pb
        for result in answer.found:
            found[result.entity.key.SerializeToString()] = result.entity
        todo = {pb.SerializeToString(): pb for pb in answer.deferred}
    return [found.get(pb.SerializeToString()) for pb in wanted]


@tasklets.tasklet
def allocate_ids_async(kind, parents):
    """A future of [a numeric id the Datastore allocates for a `kind` entity under each of `parents`
    (ndb.Key)], in one AllocateIds RPC: `Model.allocate_ids` per parent costs a batch, a tasklet and
    three key conversions each (an alert delivery over 200 services allocated 200 so)."""
    raw = _allocation()
    for parent in parents:
        key = raw.keys.add()
        key.CopyFrom(_key_pb(parent))
        key.path.add().kind = kind
    allocated = yield _allocate(raw)
    return [key.path[-1].id for key in allocated]


@tasklets.tasklet
def allocate_keys_async(wanted):
    """A future of [ndb.Key] allocated for each (kind, parent key or None) of `wanted`, in one
    AllocateIds RPC (a write's event and audit entries: three RPCs one after the other otherwise)."""
    raw = _allocation()
    for kind, parent in wanted:
        key = raw.keys.add()
        key.CopyFrom(_key_pb(ndb_key.Key(kind, 1, parent=parent) if parent else ndb_key.Key(kind, 1)))
        key.path[-1].ClearField("id")
    allocated = yield _allocate(raw)
    return [ndb_key.Key(kind, key.path[-1].id, parent=parent) if parent else ndb_key.Key(kind, key.path[-1].id)
            for (kind, parent), key in zip(wanted, allocated)]


def _allocation():
    """An empty AllocateIds request (its protobuf) for the context's project and database."""
    client = context_module.get_context().client
    return datastore_pb2.AllocateIdsRequest.pb()(project_id=client.project, database_id=client.database or "")


@tasklets.tasklet
def _allocate(raw):
    """Send the AllocateIds request `raw` through NDB's own call; answers the completed key protobufs."""
    request = datastore_pb2.AllocateIdsRequest.wrap(raw)
    metadata = _datastore_api._add_routing_info((), request)
    answer = yield _datastore_api.make_call("allocate_ids", request, metadata=metadata)
    return answer._pb.keys


def blob(entity, name):
    """The bytes of the blob property `name` of a raw entity, decompressed as NDB stores
    BlobProperty(compressed=True); None when the entity has none."""
    if entity is None or name not in entity.properties:
        return None
    value = entity.properties[name].blob_value
    return zlib.decompress(value) if value.startswith(_ZLIB_MARKERS) else value


def moment(value):
    """A stored timestamp value as a naive UTC datetime: a projection answers it as the integer
    of microseconds it is indexed as."""
    if value.HasField("timestamp_value"):
        return value.timestamp_value.ToDatetime()
    return EPOCH + datetime.timedelta(microseconds=value.integer_value)


def model_of(entity):
    """The NDB model instance of a raw entity (None stays None)."""
    return None if entity is None else ndb_model._entity_from_protobuf(entity_pb2.Entity.wrap(entity))


def newest_since(kind, names, moment, limit):
    """Raw entities of `kind` projected on `names` (the first: a timestamp property) whose
    timestamp is at or after `moment` (naive UTC), newest first, at most `limit` of them.
    A projection on a list property answers one entity per value, as the Datastore does."""
    query = query_pb2.Query.pb()()
    query.kind.add().name = kind
    for name in names:
        query.projection.add().property.name = name
    condition = query.filter.property_filter
    condition.property.name = names[0]
    condition.op = query_pb2.PropertyFilter.Operator.GREATER_THAN_OR_EQUAL
    condition.value.timestamp_value.FromDatetime(moment)
    order = query.order.add()
    order.property.name, order.direction = names[0], query_pb2.PropertyOrder.Direction.DESCENDING
    return [result.entity for result in _run(query, limit)]


def newest_under(ancestor, kind, name, start=None, end=None, cursor=None, limit=100):
    """Raw entity results (entity and cursor) of `kind` under the key `ancestor`, newest first by
    the timestamp property `name`, within [start, end] (naive UTC) when given, from `cursor` (the
    raw bytes of an earlier result's cursor): at most `limit`. A cursor this query did not give is
    the Datastore's InvalidArgument."""
    query = query_pb2.Query.pb()()
    query.kind.add().name = kind
    conditions = query.filter.composite_filter
    conditions.op = query_pb2.CompositeFilter.Operator.AND
    has = conditions.filters.add().property_filter
    has.property.name, has.op = "__key__", query_pb2.PropertyFilter.Operator.HAS_ANCESTOR
    has.value.key_value.CopyFrom(_key_pb(ancestor))
    for moment, op in ((start, "GREATER_THAN_OR_EQUAL"), (end, "LESS_THAN_OR_EQUAL")):
        if moment is not None:
            bound = conditions.filters.add().property_filter
            bound.property.name, bound.op = name, getattr(query_pb2.PropertyFilter.Operator, op)
            bound.value.timestamp_value.FromDatetime(moment)
    order = query.order.add()
    order.property.name, order.direction = name, query_pb2.PropertyOrder.Direction.DESCENDING
    if cursor:
        query.start_cursor = cursor
    return _run(query, limit)


def _run(query, limit):
    """The raw entity results of `query` (a Query protobuf), batch after batch, at most `limit`, in
    the context's namespace, each RunQuery through NDB's own call."""
    context = context_module.get_context()
    found = []
    while len(found) < limit:
        query.limit.value = limit - len(found)
        raw = datastore_pb2.RunQueryRequest.pb()(project_id=context.client.project,
                                                 database_id=context.client.database or "", query=query)
        raw.partition_id.project_id = context.client.project
        raw.partition_id.database_id = context.client.database or ""
        raw.partition_id.namespace_id = context.get_namespace() or ""
        request = datastore_pb2.RunQueryRequest.wrap(raw)
        metadata = _datastore_api._add_routing_info((), request)
        batch = _datastore_api.make_call("run_query", request, metadata=metadata).result()._pb.batch
        found.extend(batch.entity_results)
        if batch.more_results != query_pb2.QueryResultBatch.MoreResultsType.NOT_FINISHED or not batch.entity_results:
            break
        query.start_cursor = batch.end_cursor
    return found[:limit]
