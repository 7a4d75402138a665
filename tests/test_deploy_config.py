"""The deployment files parse with the Cloud SDK's own parser, as `gcloud app deploy` does."""

import pathlib
import re
import sys

import pytest

from tools.emulator import EmulatorMissing, sdk_root

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def yaml_parsing():
    """The SDK's googlecloudsdk.api_lib.app.yaml_parsing (the SDK ships with the emulator)."""
    try:
        lib = sdk_root() / "lib"
    except EmulatorMissing as error:
        pytest.fail(str(error))
    import main  # noqa: F401 - the app's google.cloud packages first: the SDK vendors others
    sys.path[:0] = [str(lib), str(lib / "third_party")]
    from googlecloudsdk.api_lib.app import yaml_parsing

    return yaml_parsing


def test_app_yaml_is_a_valid_python3_standard_service(yaml_parsing):
    info = yaml_parsing.ServiceYamlInfo.FromFile(str(ROOT / "app.yaml"))
    assert info.runtime == "python312"
    assert "main:app" in info.parsed.entrypoint and "gunicorn" in info.parsed.entrypoint
    assert int(info.parsed.automatic_scaling.max_instances) > 0


def test_app_yaml_static_handlers_point_at_existing_folders(yaml_parsing):
    info = yaml_parsing.ServiceYamlInfo.FromFile(str(ROOT / "app.yaml"))
    static = {h.url: h.static_dir for h in info.parsed.handlers if h.static_dir}
    assert static["/images"] == "static/images"
    for folder in static.values():
        assert (ROOT / folder).is_dir()
    assert (ROOT / "static/images/icons/fugue/cross-circle.png").exists()


def test_index_yaml_parses_and_lists_composite_indexes(yaml_parsing):
    info = yaml_parsing.ConfigYamlInfo.FromFile(str(ROOT / "index.yaml"))
    assert info.name == "index"
    kinds = {index.kind for index in info.parsed.indexes}
    assert "Event" in kinds


def test_cron_yaml_parses_and_each_job_is_a_get_route_of_the_app(yaml_parsing, app):
    info = yaml_parsing.ConfigYamlInfo.FromFile(str(ROOT / "cron.yaml"))
    assert info.name == "cron"
    routes = app.url_map.bind("status.example.com")
    for job in info.parsed.cron:
        assert routes.match(job.url.split("?")[0], method="GET")[0].startswith("tasks."), job.url


def test_a_typo_in_app_yaml_is_caught(yaml_parsing, tmp_path):
    broken = tmp_path / "app.yaml"
    broken.write_text((ROOT / "app.yaml").read_text().replace("automatic_scaling:", "automatic_scalling:"))
    with pytest.raises(yaml_parsing.Error):
        yaml_parsing.ServiceYamlInfo.FromFile(str(broken))


def test_requirements_are_pinned():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), line
