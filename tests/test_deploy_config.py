"""The deployment files parse with the Cloud SDK's own parser, as `gcloud app deploy` does; `make
deploy` is one `gcloud app deploy`, the README says what it does, and the upload is the app only."""

import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml  # before the SDK's lib folders are put on sys.path (yaml_parsing): they hold another yaml

import secret_settings
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


# --- what `make deploy` runs and uploads --------------------------------------------------

# What App Engine runs and serves: top-level modules and configuration, and these folders.
RUNTIME_FOLDERS = ("handlers", "models", "workers", "templates", "static", "translations")
NEVER_UPLOADED = ("tests/", "tools/", "scripts/", "docs/", ".venv/", ".local/", ".pytest_cache/", ".hypothesis/", ".ci/",
                  "test-artifacts/", "node_modules/", ".git")


def _gcloud():
    try:
        return str(sdk_root() / "bin" / "gcloud")
    except EmulatorMissing as error:
        pytest.fail(str(error))


def _runtime_files():
    """The files that should be uploaded, from the disk: no caches, no tooling."""
    top = {p.name for p in ROOT.iterdir() if p.is_file() and (p.suffix in (".py", ".yaml") or p.name == "requirements.txt")}
    nested = {
        str(path.relative_to(ROOT))
        for folder in RUNTIME_FOLDERS
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    return top | nested


def test_the_upload_is_exactly_the_app(tmp_path):
    # Leave something in each ignored place a checkout has, so the listing has to leave it out.
    (ROOT / ".local").mkdir(exist_ok=True)
    probe = ROOT / ".local" / "upload-probe.txt"
    probe.write_text("not for App Engine")
    try:
        result = subprocess.run(
            [_gcloud(), "meta", "list-files-for-upload", str(ROOT)],
            env={**os.environ, "CLOUDSDK_CONFIG": str(tmp_path), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
            capture_output=True, text=True, timeout=120,
        )
    finally:
        probe.unlink()
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    for name in listed:
        assert not name.startswith(NEVER_UPLOADED), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
        assert name not in ("Makefile", "requirements-test.txt", "pytest.ini", "README.md"), name
    assert listed == _runtime_files()
    assert {"main.py", "app.yaml", "requirements.txt", "index.yaml", "cron.yaml"} <= listed
    assert "static/images/icons/fugue/LICENSE.txt" in listed


def _make_deploy(*args, cwd=ROOT):
    return subprocess.run(["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "-n", "deploy", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


def _deploy_command(*args, cwd=ROOT):
    result = _make_deploy(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.startswith("gcloud")]
    assert len(commands) == 1, result.stdout
    return commands[0]


def test_make_deploy_is_one_gcloud_app_deploy_of_the_app_its_indexes_and_cron():
    assert _deploy_command("PROJECT=my-project") == (
        "gcloud app deploy app.yaml index.yaml cron.yaml --project=my-project"
    )


def test_make_deploy_takes_queue_and_dispatch_when_present(tmp_path):
    for name in ("app.yaml", "index.yaml", "cron.yaml", "queue.yaml", "dispatch.yaml"):
        (tmp_path / name).write_text("")
    assert _deploy_command("PROJECT=p", cwd=tmp_path) == (
        "gcloud app deploy app.yaml index.yaml cron.yaml queue.yaml dispatch.yaml --project=p"
    )


def test_make_deploy_without_a_project_says_what_it_needs():
    result = subprocess.run(["make", "--no-print-directory", "deploy"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PROJECT": ""})
    assert result.returncode != 0
    assert "make deploy PROJECT=your-project" in result.stderr


def test_the_readme_deploy_section_is_what_make_deploy_runs():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploying"):readme.index("### Signing in as an admin")]
    steps = section.index
    # The make target, then exactly the command it runs, in the README's order, then the domain.
    assert steps("make deploy PROJECT=your-project") < steps(_deploy_command("PROJECT=your-project"))
    assert steps(_deploy_command("PROJECT=your-project")) < steps("gcloud app domain-mappings create")
    # Every secret app.yaml names is created by a step of the section, and readable by the app.
    env = yaml.safe_load((ROOT / "app.yaml").read_text())["env_variables"]
    for name in secret_settings.named_secrets(env).values():
        assert f"gcloud secrets create {name}" in section, name
    assert "roles/secretmanager.secretAccessor" in section
