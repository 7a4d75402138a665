"""`make run` and `make test` say what to install when the emulator or Java is missing."""

import os
import pathlib
import subprocess
import sys

import pytest

from tools import emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_a_missing_sdk_names_the_packages_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("CLOUDSDK_ROOT_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(emulator, "SDK_CANDIDATES", (str(tmp_path / "nowhere"),))
    with pytest.raises(emulator.EmulatorMissing) as missing:
        emulator.sdk_root()
    assert "google-cloud-cli-datastore-emulator" in str(missing.value)


def test_make_run_without_java_says_to_install_it_instead_of_a_traceback(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no java, no gcloud on the PATH
    result = subprocess.run(
        [sys.executable, "-m", "tools.run_local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "openjdk-17-jre-headless" in result.stderr
    assert "Traceback" not in result.stderr
