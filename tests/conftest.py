"""Registers the fixture modules in tests/fixtures/, one per concern; fixtures live there."""

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
