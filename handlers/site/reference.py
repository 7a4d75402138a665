"""The API reference on /documentation, generated from the API's own routes and docstrings."""

import re
from collections import defaultdict

from handlers import api


def api_reference():
    """(resource, [(method, path, summary)]) for every API route, in the order the API declares them."""
    resources = defaultdict(list)
    routes = [("GET", api.public_api.url_prefix, rule, view) for rule, _, view in api.READ_ROUTES]
    routes += [(method, api.admin_api.url_prefix, rule, view) for rule, method, view in api.WRITE_ROUTES]
    for method, root, rule, view in routes:
        path = root + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)
        resource = rule.split("/")[1]
        summary = " ".join((view.__doc__ or "").split())
        resources[resource].append((method, path, summary))
    return list(resources.items())
