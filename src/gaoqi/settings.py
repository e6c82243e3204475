"""Django settings. One file, driven by environment variables; safe defaults for the embedded demo."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GAOQI_VAR_DIR", Path.cwd() / "var"))

SECRET_KEY = os.environ.get("GAOQI_SECRET_KEY", "insecure-demo-key-change-me-in-production")
DEBUG = os.environ.get("GAOQI_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("GAOQI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "gaoqi.regions",
    "gaoqi.accounts",
    "gaoqi.audit",
    "gaoqi.registry",
    "gaoqi.coaching",
    "gaoqi.intake",
    "gaoqi.ledger",
    "gaoqi.demo",
    "gaoqi.web",
    "django_tasks",
    "django_tasks_db",
    "gaoqi.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gaoqi.web.middleware.IgnoreAcceptLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
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

# Label shown on every page while the database holds generated data.
GAOQI_SYNTHETIC_BANNER = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GAOQI_LOG_LEVEL", "WARNING")},
}
