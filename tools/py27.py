"""A Python 2.7 virtualenv with python-oauth2 1.9, for the test that runs the original
Stashboard docs' `example.py` unchanged, as its users ran it.

`python3 -m tools.py27` makes it (in `.py27/`, once) and prints its interpreter. Python
2.7 itself is found as PYTHON27, `python2.7` on the PATH, or a pyenv version; without
one it says how to get it and fails: the test needs it and never skips.
"""

import glob
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENV = ROOT / ".py27"
# python-oauth2 1.9 and the httplib2 it was written against (0.19 changed its API).
REQUIREMENTS = ("oauth2==1.9.0.post1", "httplib2<0.19")
# The last virtualenv that runs on and creates Python 2.7 environments.
VIRTUALENV = "virtualenv<20.22"
HINT = """\
Python 2.7 was not found; the test of the original Stashboard's example.py needs it.
Install it with pyenv (https://github.com/pyenv/pyenv): `pyenv install 2.7.18`,
or set PYTHON27 to a python2.7 interpreter."""


class Py27Missing(RuntimeError):
    """No Python 2.7 interpreter on this machine; the message says how to get one."""


def find_python27():
    """A Python 2.7 interpreter, or Py27Missing."""
    candidates = [os.environ.get("PYTHON27", ""), shutil.which("python2.7") or ""]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "2.7*", "bin", "python2.7")), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            version = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (2, 7))"],
                                     capture_output=True, text=True)
            if version.stdout.strip() == "True":
                return candidate
    raise Py27Missing(HINT)


def ensure():
    """The virtualenv's python, made first if needed (about 30 s, needs PyPI)."""
    python = ENV / "env" / "bin" / "python"
    done = ENV / ".installed"
    if done.exists() and python.exists():
        return python
    python27 = find_python27()
    shutil.rmtree(ENV, ignore_errors=True)
    bootstrap = ENV / "bootstrap"
    quiet = ["--quiet", "--disable-pip-version-check"]
    subprocess.run([python27, "-m", "pip", "install", *quiet, "--target", str(bootstrap), VIRTUALENV], check=True)
    subprocess.run([python27, "-m", "virtualenv", "--quiet", str(ENV / "env")], check=True,
                   env={**os.environ, "PYTHONPATH": str(bootstrap)})
    subprocess.run([str(python), "-m", "pip", "install", *quiet, *REQUIREMENTS], check=True)
    done.touch()
    return python


if __name__ == "__main__":
    try:
        print(ensure())
    except Py27Missing as error:
        print(error, file=sys.stderr)
        sys.exit(1)
