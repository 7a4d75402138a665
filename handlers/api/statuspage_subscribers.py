"""Statuspage's subscriber sign-up at /api/v2/subscribers.json: an e-mail address (and optionally
the components to follow) starts the same double opt-in as the /subscribe page, under the same
rate limits; nothing is sent but the confirmation message until the reader follows it.

Requests come as Statuspage's clients send them: JSON `{"subscriber": {"email": …,
"component_ids": […]}}` or the same fields at the top level, or a form with `subscriber[email]`
or `email` and `components`/`component_ids` (repeated or comma-separated). Component ids are
/api/v2's: a service id, or `list:` and a list id for every service of that list.

The answer is Statuspage's subscriber object for this address only, the same whether the
address was new, pending or subscribed already (it tells no one which); no other subscriber is
ever read out. A body with no address is a 400, an address or component that is not one a 422.
"""

from flask import Blueprint, current_app, request
from flask_cors import CORS
from marshmallow import Schema, fields
from werkzeug.exceptions import BadRequest, UnprocessableEntity

from handlers.responses import json_response
from handlers.routes import PUBLIC_WRITES, declare
from handlers.subscribe.views import DAY, HOUR, client_address, limit
from models import InvalidInput, Service, ServiceList
from models.fields import SLUG_MAX
from models.readers import Reader, clean_address, reader_id
from models.times import iso_ms, utcnow

bp = declare(Blueprint("statuspage_subscribers", __name__, url_prefix="/api/v2"), PUBLIC_WRITES)
# Another site's own sign-up form may post here, as to Statuspage's (no cookie is read or set).
CORS(bp, origins="*", send_wildcard=True, vary_header=False)
COMPONENTS_MAX = 100
ID_MAX = 5 + SLUG_MAX  # `list:` and a list's id


class SubscriberSchema(Schema):
    """A subscriber as Statuspage writes one: this board's readers subscribe by e-mail only."""

    id = fields.String(required=True, metadata={"description": "A digest of the address, the same for every sign-up."})
    skip_confirmation_notification = fields.Constant(False)
    mode = fields.Constant("email")
    email = fields.String(required=True)
    endpoint = fields.Constant(None)
    phone_number = fields.Constant(None)
    phone_country = fields.Constant(None)
    display_phone_number = fields.Constant(None)
    obfuscated_channel_name = fields.Constant(None)
    workspace_name = fields.Constant(None)
    quarantined_at = fields.Constant(None)
    purge_at = fields.Constant(None)
    components = fields.List(fields.String(), required=True, metadata={
        "description": "The component ids asked for (none: the whole page)."})
    page_access_user_id = fields.Constant(None)
    created_at = fields.Function(lambda subscriber: iso_ms(subscriber["created"]), required=True)


def _given():
    """(address, component ids) as Statuspage's clients send them; no address is a 400."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("The JSON body must be an object: {\"subscriber\": {\"email\": …}}.")
        given = body.get("subscriber") if isinstance(body.get("subscriber"), dict) else body
        address = given.get("email")
        ids = given.get("component_ids", given.get("components")) or []
        ids = ids.split(",") if isinstance(ids, str) else ids
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise UnprocessableEntity("'component_ids' must be a list of component ids.")
    else:
        form = request.form
        address = form.get("subscriber[email]") or form.get("email")
        ids = [item for name in ("subscriber[component_ids][]", "subscriber[component_ids]", "component_ids[]",
                                 "component_ids", "components[]", "components")
               for value in form.getlist(name) for item in value.split(",")]
    if not isinstance(address, str) or not address.strip():
        raise BadRequest("Give the subscriber's e-mail address ('email').")
    ids = list(dict.fromkeys(item.strip() for item in ids if item.strip()))
    if len(ids) > COMPONENTS_MAX:
        raise UnprocessableEntity(f"Choose at most {COMPONENTS_MAX} components.")
    if any(len(item) > ID_MAX for item in ids):
        raise UnprocessableEntity(f"A component id has at most {ID_MAX} characters.")
    return address, ids


def _services_of(component_ids):
    """The service ids of /api/v2 component ids (a list's id stands for its services)."""
    services = []
    for component_id in component_ids:
        if component_id.startswith("list:"):
            list_id = component_id.removeprefix("list:")
            service_list = ServiceList.get_by_id(list_id) if list_id else None
            if service_list is None:
                raise InvalidInput(f"There is no component '{component_id[:60]}' on this board.")
            services += [service.slug for service in Service.in_list(service_list.key)]
        else:
            services.append(component_id)
    return list(dict.fromkeys(services))


@bp.post("/subscribers.json")
def subscribe():
    """Start an e-mail subscription's double opt-in (the whole page, or the components given)."""
    config = current_app.config
    address, component_ids = _given()
    limit("sign-up-client", client_address(), config["SIGN_UPS_PER_CLIENT_HOUR"], HOUR,
          "Too many sign-ups from your network in the last hour; please try again later.")
    try:
        address = clean_address(address)
        limit("sign-up-address", address.lower(), config["SIGN_UPS_PER_ADDRESS_DAY"], DAY,
              "This address was signed up too often today; please try again tomorrow.")
        services = _services_of(component_ids)
        if component_ids and not services:
            raise InvalidInput("Those component groups have no components.")
        Reader.sign_up(address, not services, services)
    except InvalidInput as error:
        raise UnprocessableEntity(error.message) from None
    answer = {"id": reader_id(address), "email": address, "components": component_ids, "created": utcnow()}
    return json_response(SubscriberSchema().dump(answer), 201)
