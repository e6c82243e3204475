"""Django settings. One file, driven by environment variables; safe defaults for the embedded demo."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _default_var_dir() -> Path:
    """The data directory when GAOQI_VAR_DIR is not set: the checkout's var/ when running from a source
    checkout (the embedded demo), else the user's data directory. Never the directory a command runs in."""
    checkout = BASE_DIR.parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "gaoqi").is_dir():
        return checkout / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "gaoqi"


VAR_DIR = (
    Path(os.environ["GAOQI_VAR_DIR"]).resolve() if os.environ.get("GAOQI_VAR_DIR") else _default_var_dir()
)

# DEBUG only when asked for (`gaoqi demo` / `make demo` ask for it). The published demo key is a
# fallback for commands only: with DEBUG off a web server refuses to start with it (gaoqi.deploy, called by
# gaoqi.wsgi and `gaoqi serve`), and `check --deploy` reports it as an error.
DEMO_SECRET_KEY = "insecure-demo-key-change-me-in-production"
DEBUG = _env_bool("GAOQI_DEBUG")
SECRET_KEY = os.environ.get("GAOQI_SECRET_KEY", "") or DEMO_SECRET_KEY
ALLOWED_HOSTS = _env_list("GAOQI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "gaoqi.regions",
    "gaoqi.accounts",
    "gaoqi.audit",
    "gaoqi.ops",
    "gaoqi.registry",
    "gaoqi.coaching",
    "gaoqi.intake",
    "gaoqi.ledger",
    "gaoqi.rnd",
    "gaoqi.targets",
    "gaoqi.monitoring",
    "gaoqi.demo",
    "gaoqi.web",
    "django_tasks",
    "django_tasks_db",
    "gaoqi.jobs",
    "gaoqi.workflow",
    "gaoqi.programmes",
    "gaoqi.experts",
    "gaoqi.programmes.pool",
    "gaoqi.programmes.hte",
    "gaoqi.rewards",
    "gaoqi.alerts",
    "gaoqi.simulation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gaoqi.web.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gaoqi.web.middleware.IgnoreAcceptLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "gaoqi.web.input_guard.ControlCharacterMiddleware",  # NUL and control characters: 400, never 500
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gaoqi.web.middleware.SessionIdleTimeoutMiddleware",
    "gaoqi.web.middleware.PrivateNoStoreMiddleware",
    "gaoqi.web.middleware.HtmxLoginRedirectMiddleware",
    "gaoqi.web.page_errors.ValidationFailedPageMiddleware",  # a page's ValidationFailed: 400, said plainly
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "gaoqi.urls"
WSGI_APPLICATION = "gaoqi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gaoqi.web.context.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'gaoqi.sqlite3'}",
        conn_max_age=int(os.environ.get("GAOQI_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import writes; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Re-evaluation (ledger.services.reevaluate) reads, evaluates and stages the registry in slices of this many
# firms: its memory is a few slices' (docs/SCALING.md; 250,000 was the fastest at 4,000,000 firms).
GAOQI_REEVALUATE_SLICE = max(1, int(os.environ.get("GAOQI_REEVALUATE_SLICE", "250000")))
# PostgreSQL: a re-evaluation reads its slices through two more connections sharing its snapshot, as Arrow
# (ledger.store.shared_snapshot); "0" reads through COPY on the job's own connection (the same rows, slower).
GAOQI_SNAPSHOT_READS = os.environ.get("GAOQI_SNAPSHOT_READS", "1") != "0"

# A read replica (docs/SCALING.md): read-only pages and exports that opt in (gaoqi.replica.replica_reads) read
# from it, outside transactions and before any write of the request; writes always go to "default". In a
# test run the replica is a mirror of the test database (no second test database on the replica's server).
GAOQI_REPLICA_URL = os.environ.get("GAOQI_REPLICA_URL", "").strip()
GAOQI_READ_REPLICA = "replica" if GAOQI_REPLICA_URL else None
if GAOQI_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        GAOQI_REPLICA_URL, conn_max_age=int(os.environ.get("GAOQI_CONN_MAX_AGE", "0"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["gaoqi.replica.ReplicaRouter"]

# Background jobs (gaoqi.jobs): Django's Tasks API (the django-tasks backport until Django 6) with the
# database backend, so the embedded SQLite demo and PostgreSQL need no broker; `gaoqi jobs worker` runs
# them. GAOQI_TASKS_BACKEND=immediate runs each job inside the process that starts it (no worker).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("GAOQI_TASKS_BACKEND", "database")],
        "QUEUES": ["default"],
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "gaoqi.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("GAOQI_PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling and lockout (django-axes, database handler): after GAOQI_LOGIN_FAILURE_LIMIT failed
# logins of one username from one client address, that pair is locked out for GAOQI_LOGIN_COOLOFF_MINUTES.
# Lockouts and every login (failed or not) are audited (gaoqi.accounts.login).
AUTHENTICATION_BACKENDS = [
    "gaoqi.accounts.login.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = _env_bool("GAOQI_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = int(os.environ.get("GAOQI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("GAOQI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [
    [p for p in _env_list("GAOQI_LOGIN_LOCKOUT_BY", "username,ip_address") if p in ("username", "ip_address")]
    or ["username", "ip_address"]
]
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit log (gaoqi.accounts.login)
AXES_RESET_ON_SUCCESS = True
# Each attempt during a lockout starts the cool-off again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_CLIENT_IP_CALLABLE = "gaoqi.accounts.login.client_ip"
AXES_LOCKOUT_CALLABLE = "gaoqi.web.auth_views.login_locked_out"
AXES_VERBOSE = False
# How many reverse proxies in front of the server append to X-Forwarded-For (0: use the peer address).
GAOQI_PROXY_COUNT = int(os.environ.get("GAOQI_PROXY_COUNT", "0"))

# Sessions end after GAOQI_SESSION_IDLE_MINUTES without a request, and GAOQI_SESSION_MAX_HOURS after the
# login however active (gaoqi.web.middleware.SessionIdleTimeoutMiddleware).
GAOQI_SESSION_IDLE_MINUTES = int(os.environ.get("GAOQI_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = int(float(os.environ.get("GAOQI_SESSION_MAX_HOURS", "12")) * 3600)
# API tokens expire: the default and the longest validity (days) an officer may give one.
GAOQI_API_TOKEN_DAYS = int(os.environ.get("GAOQI_API_TOKEN_DAYS", "90"))
GAOQI_API_TOKEN_MAX_DAYS = int(os.environ.get("GAOQI_API_TOKEN_MAX_DAYS", "365"))

# HTTPS behind a TLS proxy (docs/DEPLOY.md). GAOQI_HTTPS=1 turns on secure cookies, the redirect to https
# and HSTS; each can be set on its own. The proxy header is trusted only when GAOQI_PROXY_SSL_HEADER=1 (the
# proxy must set X-Forwarded-Proto and strip a client's own).
GAOQI_HTTPS = _env_bool("GAOQI_HTTPS")
SESSION_COOKIE_SECURE = _env_bool("GAOQI_SECURE_COOKIES", GAOQI_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _env_bool("GAOQI_SSL_REDIRECT", GAOQI_HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("GAOQI_HSTS_SECONDS", "31536000" if GAOQI_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("GAOQI_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = _env_bool("GAOQI_HSTS_PRELOAD")
if _env_bool("GAOQI_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = _env_list("GAOQI_CSRF_TRUSTED_ORIGINS")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("GAOQI_STATIC_ROOT") or VAR_DIR / "static")
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
except OSError:
    pass  # a read-only data directory: `gaoqi serve` collects into it beforehand
# GAOQI_STATIC_MANIFEST=1 (production, after `collectstatic`, which `gaoqi serve` runs): hashed, compressed
# file names that WhiteNoise serves with a far-future cache lifetime. Otherwise files come from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _env_bool("GAOQI_STATIC_MANIFEST")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Department-file imports (gaoqi.intake): limits checked before and while reading an upload.
GAOQI_INTAKE_LIMITS = {
    "file_bytes": int(os.environ.get("GAOQI_INTAKE_MAX_FILE_BYTES", 60 * 2**20)),
    "inflated_bytes": int(os.environ.get("GAOQI_INTAKE_MAX_INFLATED_BYTES", 600 * 2**20)),  # xlsx unzipped
    "rows": int(os.environ.get("GAOQI_INTAKE_MAX_ROWS", 300_000)),
    "columns": int(os.environ.get("GAOQI_INTAKE_MAX_COLUMNS", 200)),
    "cell_chars": int(os.environ.get("GAOQI_INTAKE_MAX_CELL_CHARS", 2_000)),
}

# Workflow notifications also go out by e-mail through Django's mail backends (console in the demo).
EMAIL_BACKEND = os.environ.get("GAOQI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("GAOQI_FROM_EMAIL", "noreply@gaoqi.example")
# Application attachments (gaoqi.workflow): stored under VAR_DIR / "attachments" with their SHA-256.
GAOQI_ATTACHMENT_MAX_BYTES = int(os.environ.get("GAOQI_ATTACHMENT_MAX_BYTES", 20 * 2**20))

# Label shown on every page while the database holds generated data.
GAOQI_SYNTHETIC_BANNER = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GAOQI_LOG_LEVEL", "WARNING")},
}
