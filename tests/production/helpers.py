"""The documented production environment (docs/production.env.example), for tests that start processes."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "production.env.example"
GAOQI = shutil.which("gaoqi", path=str(Path(sys.executable).parent)) or "gaoqi"


def example_env() -> dict[str, str]:
    """The KEY=value lines of the example file (comments and blank lines skipped)."""
    env = {}
    for line in EXAMPLE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"not a KEY=value line: {line!r}"
        env[key] = value
    return env


def process_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The example environment made runnable here: a fresh secret key, the data directory and an SQLite
    database under tmp_path (the example's PostgreSQL URL names a server this test does not have)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAOQI_") and k != "DATABASE_URL"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(example_env())
    env.update(
        GAOQI_SECRET_KEY=secrets.token_urlsafe(50),
        GAOQI_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'gaoqi.sqlite3'}",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
