#!/usr/bin/env python3
"""Quick start for Comptoir: ``python3 dev.py start`` and ``python3 dev.py test``.

Creates a virtual environment in ``.venv`` (once, and again whenever
``pyproject.toml`` changes), installs Comptoir into it, then runs the command.
Needs nothing but Python 3.11 or newer.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".comptoir-installed"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

  start     start Comptoir on http://127.0.0.1:8000 with the demo company
            (API, web UI and worker; SQLite file in ./comptoir-data)
  test      run the whole test suite (SQLite; also PostgreSQL when
            COMPTOIR_TEST_DATABASE_URL is set); extra ARGS go to pytest
  install   only create .venv and install Comptoir with its dev tools
"""


def install() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit(f"Comptoir needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing Comptoir and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test", "install"}:
        print(USAGE)
        return 2
    command, rest = argv[0], argv[1:]
    install()
    if command == "install":
        return 0
    if command == "start":
        args = [str(BIN / "comptoir"), "serve", "--demo", *rest]
    else:
        args = [str(BIN / "python"), "-m", "pytest", "-n", "auto", "-p", "no:cacheprovider", *rest]
    os.chdir(ROOT)
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
