"""`gaoqi serve`: the production web server (gunicorn, WSGI) with static files served by WhiteNoise.

Settings come from the environment (docs/DEPLOY.md); options override them:

  GAOQI_BIND              address to listen on (default 127.0.0.1:8000; a unix socket: unix:/run/gaoqi.sock)
  GAOQI_WORKERS           worker processes (default 2 × CPUs + 1, at most 8)
  GAOQI_THREADS           threads per worker (default 1; more than 1 uses the gthread worker)
  GAOQI_TIMEOUT           seconds a request may take before its worker is restarted (default 60)
  GAOQI_GRACEFUL_TIMEOUT  seconds to finish running requests on restart/stop (default 30)
  GAOQI_KEEPALIVE         seconds to keep an idle connection from the proxy open (default 5)
  GAOQI_MAX_REQUESTS      restart a worker after this many requests, with jitter (default 2000; 0: never)
  GAOQI_FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers gunicorn trusts (default 127.0.0.1)
  GAOQI_ACCESS_LOG        1: log each request to stdout (default 0)

Before starting, the command refuses an insecure configuration (gaoqi.deploy), runs `collectstatic` into
STATIC_ROOT (skip with --no-collectstatic) and, unless --no-migrate-check, refuses to serve a database with
unapplied migrations. The gunicorn process replaces this one (exec), so systemd signals reach it directly.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def _default_workers() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError as exc:
        raise CommandError(f"{name}={raw!r}：应为整数") from exc


def gunicorn_argv(opts: dict) -> list[str]:
    """The gunicorn command line for these options (and the GAOQI_* environment)."""
    threads = opts["threads"] or _env_int("GAOQI_THREADS", 1)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "gaoqi.wsgi:application",
        "--bind",
        opts["bind"] or os.environ.get("GAOQI_BIND", "127.0.0.1:8000"),
        "--workers",
        str(opts["workers"] or _env_int("GAOQI_WORKERS", _default_workers())),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--timeout",
        str(opts["timeout"] or _env_int("GAOQI_TIMEOUT", 60)),
        "--graceful-timeout",
        str(_env_int("GAOQI_GRACEFUL_TIMEOUT", 30)),
        "--keep-alive",
        str(_env_int("GAOQI_KEEPALIVE", 5)),
        "--forwarded-allow-ips",
        os.environ.get("GAOQI_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "--error-logfile",
        "-",
        "--no-control-socket",  # gunicorn's control socket would live in $HOME, shared by every instance
    ]
    max_requests = _env_int("GAOQI_MAX_REQUESTS", 2000)
    if max_requests > 0:
        argv += [
            "--max-requests",
            str(max_requests),
            "--max-requests-jitter",
            str(max(1, max_requests // 10)),
        ]
    if os.environ.get("GAOQI_ACCESS_LOG", "0") == "1":
        argv += ["--access-logfile", "-"]
    return argv


class Command(BaseCommand):
    help = "启动生产服务器（gunicorn），配置见 docs/DEPLOY.md"
    requires_system_checks = []  # checked below, with the deploy checks' first error named

    def add_arguments(self, parser):
        parser.add_argument("--bind", help="监听地址（默认 GAOQI_BIND 或 127.0.0.1:8000）")
        parser.add_argument("--workers", type=int, help="工作进程数（默认 GAOQI_WORKERS）")
        parser.add_argument("--threads", type=int, help="每个进程的线程数（默认 GAOQI_THREADS）")
        parser.add_argument("--timeout", type=int, help="请求超时秒数（默认 GAOQI_TIMEOUT）")
        parser.add_argument("--no-collectstatic", action="store_true", help="不收集静态文件")
        parser.add_argument("--no-migrate-check", action="store_true", help="不检查未执行的数据库迁移")
        parser.add_argument("--dry-run", action="store_true", help="只打印 gunicorn 命令，不启动")

    def handle(self, *args, **opts):
        from django.core.exceptions import ImproperlyConfigured

        from gaoqi.deploy import refuse_insecure_start

        try:
            refuse_insecure_start()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.check(display_num_errors=False)
        argv = gunicorn_argv(opts)
        if opts["dry_run"]:
            self.stdout.write(" ".join(argv))
            return
        if not opts["no_migrate_check"]:
            try:
                call_command("migrate", check=True, verbosity=0)  # exits 1 when migrations are unapplied
            except SystemExit as exc:
                raise CommandError("数据库有未执行的迁移：请先运行 gaoqi migrate") from exc
        if not opts["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        if settings.DEBUG:
            self.stderr.write("警告：GAOQI_DEBUG=1，生产环境请关闭调试模式")
        self.stdout.write(f"gaoqi serve: {' '.join(argv[2:])}")
        self.stdout.flush()
        os.execv(sys.executable, argv)
