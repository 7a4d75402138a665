"""Registers the fixture modules in tests/fixtures/, one per concern; fixtures live there.

A module marked as a whole (`pytestmark = pytest.mark.slow`) is not even imported by a run
whose -m leaves that marker out (`make test`'s "not monitoring and not slow and not browser"):
every one of its tests would be deselected anyway, and importing test_api_fuzz.py builds a
schemathesis test per API operation, seconds of CPU on each worker.
"""

import re

pytest_plugins = [
    "tests.fixtures.datastore",
    "tests.fixtures.admin_api",
    "tests.fixtures.browser",
    "tests.fixtures.fake_google",
    "tests.fixtures.sign_in",
    "tests.fixtures.legacy",
    "tests.fixtures.served",
    "tests.fixtures.mail",
]

WHOLE_MODULE_MARK = re.compile(r"^pytestmark = pytest\.mark\.(\w+)$", re.MULTILINE)


def left_out(markexpr):
    """The markers a -m expression made only of "not X" joined by "and" leaves out; no other
    expression is read (an empty set: every module is imported)."""
    terms = [term.strip() for term in markexpr.split(" and ")] if markexpr.strip() else []
    names = [term[4:].strip() for term in terms if term.startswith("not ")]
    return set(names) if len(names) == len(terms) and all(name.isidentifier() for name in names) else set()


def pytest_ignore_collect(collection_path, config):
    """Skip a test module whose every test carries a marker this run deselects."""
    if not (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return None
    absent = left_out(config.option.markexpr or "")
    if absent and (mark := WHOLE_MODULE_MARK.search(collection_path.read_text())) and mark.group(1) in absent:
        return True
    return None
