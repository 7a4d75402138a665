"""Registers the fixture modules in tests/fixtures/, one per concern (fixtures live there), and
shapes a run on its workers.

A run imports only the test modules that can hold a test it selects: every xdist worker collects
every module it imports, and test_api_fuzz.py alone builds a schemathesis test per API operation
(seconds of CPU). `make test` ("not … and not slow and not browser") leaves out a module marked as
a whole (`pytestmark = pytest.mark.slow`); `make test-slow` ("slow or browser") leaves out a module
that never names either marker (`pytest.mark.slow`), which every run that collects the module
checks (`pytest_collection_modifyitems`).

Modules go to the workers one at a time, the most tests first (xdist's `--dist loadfile`), except
SCHEDULED_FIRST: a module whose one test takes long would otherwise start last, on one worker,
while the others sit idle.
"""

import pathlib
import re

import pytest

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

# The markers that choose a run (pytest.ini): a test carries one only by naming it in its module.
RUN_MARKERS = ("slow", "browser", "monitoring")
WHOLE_MODULE_MARK = re.compile(r"^pytestmark = pytest\.mark\.(\w+)$", re.MULTILINE)
# Three starts of `make run` (tests/test_tools.py): a tenth of make test-slow in one test.
SCHEDULED_FIRST = ("tests/test_tools.py",)


def read_markexpr(markexpr):
    """("without", names) for "not X and not Y", ("with", names) for "X or Y", else (None, ())."""
    expression = markexpr.strip()
    if not expression:
        return None, ()
    without = [term.strip() for term in expression.split(" and ")]
    if all(term.startswith("not ") and term[4:].strip().isidentifier() for term in without):
        return "without", tuple(term[4:].strip() for term in without)
    names = tuple(term.strip() for term in expression.split(" or "))
    if all(name.isidentifier() and name != "not" for name in names):
        return "with", names
    return None, ()


def names_marker(source, name):
    """Whether a module's source applies marker `name` (pytest.mark.name, or mark.name once imported)."""
    return re.search(rf"\bmark\.{name}\b", source) is not None


def pytest_ignore_collect(collection_path, config):
    """Leave out a test module none of whose tests this run's -m can select."""
    if not (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return None
    form, names = read_markexpr(config.option.markexpr or "")
    if form is None:
        return None
    source = collection_path.read_text()
    if form == "without":
        whole = WHOLE_MODULE_MARK.search(source)
        return True if whole and whole.group(1) in names else None
    return None if any(names_marker(source, name) for name in names) else True


def pytest_collection_modifyitems(config, items):
    """Every test carrying a run marker names it in its module's source, as
    `pytest_ignore_collect` assumes."""
    sources = {}
    for item in items:
        for name in RUN_MARKERS:
            if item.get_closest_marker(name):
                path = pathlib.Path(item.fspath)
                source = sources.setdefault(path, path.read_text())
                if not names_marker(source, name):
                    raise pytest.UsageError(f"{item.nodeid} is marked {name} without naming pytest.mark.{name}")


@pytest.hookimpl(optionalhook=True)  # a run without xdist (-p no:xdist) has no such hook
def pytest_xdist_make_scheduler(config, log):
    """xdist's scheduling by module, SCHEDULED_FIRST handed out before the rest."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongOnesFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            for module in SCHEDULED_FIRST:
                if module in self.workqueue:
                    self.workqueue.move_to_end(module, last=False)
                    break
            super()._assign_work_unit(node)

    return LongOnesFirst(config, log)
