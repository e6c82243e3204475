"""Safe settings (issue 11 §1): DEBUG off unless asked for, no start on the public key, `check --deploy`
clean under the documented production environment, an explicit data directory."""

from __future__ import annotations

import sys

from tests.production.helpers import EXAMPLE, GAOQI, ROOT, example_env, process_env, run

PY = sys.executable


def _settings(env, cwd, expr: str) -> str:
    out = run(
        [PY, "-c", f"import django; django.setup(); from django.conf import settings as s; print({expr})"],
        {**env, "DJANGO_SETTINGS_MODULE": "gaoqi.settings"},
        cwd,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_check_deploy_is_clean_under_the_documented_environment(tmp_path):
    env = process_env(tmp_path)
    out = run(
        [PY, "-m", "django", "check", "--deploy", "--fail-level", "WARNING", "--settings=gaoqi.settings"],
        env,
        tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout and "WARNINGS" not in out.stderr


def test_the_example_file_is_complete_and_the_key_left_blank():
    env = example_env()
    assert env["GAOQI_DEBUG"] == "0" and env["GAOQI_SECRET_KEY"] == ""  # the operator generates one
    for key in (
        "GAOQI_ALLOWED_HOSTS",
        "GAOQI_CSRF_TRUSTED_ORIGINS",
        "GAOQI_HTTPS",
        "GAOQI_PROXY_SSL_HEADER",
        "GAOQI_VAR_DIR",
        "DATABASE_URL",
        "GAOQI_BIND",
        "GAOQI_WORKERS",
        "GAOQI_TIMEOUT",
    ):
        assert env[key], key
    assert env["GAOQI_CSRF_TRUSTED_ORIGINS"].startswith("https://")


def test_check_deploy_fails_on_the_demo_key(tmp_path):
    env = process_env(tmp_path, GAOQI_SECRET_KEY="")
    out = run([PY, "-m", "django", "check", "--deploy", "--settings=gaoqi.settings"], env, tmp_path)
    assert out.returncode != 0 and "gaoqi.E001" in out.stderr


def test_debug_is_off_unless_asked_for(tmp_path):
    env = process_env(tmp_path)
    env.pop("GAOQI_DEBUG")
    assert _settings(env, tmp_path, "s.DEBUG") == "False"
    assert _settings({**env, "GAOQI_DEBUG": "1"}, tmp_path, "s.DEBUG") == "True"


def test_a_web_server_refuses_the_public_key_without_debug(tmp_path):
    env = process_env(tmp_path, GAOQI_SECRET_KEY="", GAOQI_DEBUG="0")
    wsgi = run([PY, "-c", "import gaoqi.wsgi"], env, tmp_path)
    assert wsgi.returncode != 0
    assert "ImproperlyConfigured" in wsgi.stderr and "GAOQI_SECRET_KEY" in wsgi.stderr
    serve = run([GAOQI, "serve", "--dry-run"], env, tmp_path)
    assert serve.returncode != 0 and "refusing to start" in serve.stderr
    # the published key itself is refused as well, not only a missing one
    env["GAOQI_SECRET_KEY"] = "insecure-demo-key-change-me-in-production"
    assert run([PY, "-c", "import gaoqi.wsgi"], env, tmp_path).returncode != 0
    # DEBUG (the local demo) or a key of its own: it starts
    assert run([PY, "-c", "import gaoqi.wsgi"], {**env, "GAOQI_DEBUG": "1"}, tmp_path).returncode == 0
    assert run([PY, "-c", "import gaoqi.wsgi"], process_env(tmp_path), tmp_path).returncode == 0


def test_serve_builds_the_gunicorn_command_from_the_environment(tmp_path):
    env = process_env(
        tmp_path,
        GAOQI_BIND="127.0.0.1:9123",
        GAOQI_WORKERS="3",
        GAOQI_THREADS="4",
        GAOQI_TIMEOUT="45",
        GAOQI_MAX_REQUESTS="0",
    )
    out = run([GAOQI, "serve", "--dry-run"], env, tmp_path)
    assert out.returncode == 0, out.stderr
    argv = out.stdout.split()
    pairs = dict(zip(argv, argv[1:], strict=False))
    assert "gaoqi.wsgi:application" in argv
    assert (pairs["--bind"], pairs["--workers"], pairs["--threads"], pairs["--timeout"]) == (
        "127.0.0.1:9123",
        "3",
        "4",
        "45",
    )
    assert pairs["--worker-class"] == "gthread" and "--max-requests" not in argv
    # command-line options win over the environment
    out = run([GAOQI, "serve", "--dry-run", "--workers", "2", "--bind", "unix:/tmp/g.sock"], env, tmp_path)
    argv = out.stdout.split()
    pairs = dict(zip(argv, argv[1:], strict=False))
    assert (pairs["--workers"], pairs["--bind"]) == ("2", "unix:/tmp/g.sock")
    bad = run([GAOQI, "serve", "--dry-run"], {**env, "GAOQI_WORKERS": "many"}, tmp_path)
    assert bad.returncode != 0 and "GAOQI_WORKERS" in bad.stderr


def test_the_data_directory_is_never_the_working_directory(tmp_path):
    env = process_env(tmp_path)
    del env["GAOQI_VAR_DIR"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    var_dir = _settings(env, elsewhere, "s.VAR_DIR")
    assert var_dir == str(ROOT / "var")  # a source checkout: the checkout's var/, wherever the command runs
    assert not (elsewhere / "var").exists()
    chosen = tmp_path / "data"
    assert _settings({**env, "GAOQI_VAR_DIR": str(chosen)}, elsewhere, "s.VAR_DIR") == str(chosen)
    assert _settings({**env, "GAOQI_VAR_DIR": str(chosen)}, elsewhere, "s.STATIC_ROOT") == str(
        chosen / "static"
    )
    assert not (elsewhere / "var").exists()


def test_every_gaoqi_variable_in_the_code_is_documented():
    import re

    read = re.compile(r'(?:environ\.get\(|environ\[|_env_\w+\(|_env_int\()\s*"(GAOQI_[A-Z0-9_]+)"')
    used = set()
    for path in (ROOT / "src" / "gaoqi").rglob("*.py"):
        used |= set(read.findall(path.read_text(encoding="utf-8")))
    assert {"GAOQI_SECRET_KEY", "GAOQI_VAR_DIR", "GAOQI_BIND", "GAOQI_SESSION_IDLE_MINUTES"} <= used
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    missing = sorted(name for name in used if f"`{name}`" not in deploy)
    assert not missing, f"GAOQI_* variables not described in docs/DEPLOY.md: {missing}"
    assert EXAMPLE.is_file()


def test_an_installed_package_keeps_its_data_in_the_user_data_directory(tmp_path, monkeypatch):
    """Outside a source checkout (site-packages) the default is $XDG_DATA_HOME/gaoqi, not the cwd."""
    from gaoqi import settings as gaoqi_settings

    monkeypatch.setattr(gaoqi_settings, "BASE_DIR", tmp_path / "lib" / "site-packages" / "gaoqi")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert gaoqi_settings._default_var_dir() == tmp_path / "xdg" / "gaoqi"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert gaoqi_settings._default_var_dir() == tmp_path / "home" / ".local" / "share" / "gaoqi"
