"""Django settings for Accord. SQLite under ``ACCORD_DATA_DIR`` by default; ``DATABASE_URL`` for
PostgreSQL. Production hardening lives in ``accord.web.settings_production``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ACCORD_DATA_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("ACCORD_SECRET_KEY", "dev-only-not-secret-accord-key-change-me-in-production-0123456789")
DEBUG = os.environ.get("ACCORD_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ACCORD_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "accord.web.admin_apps.AccordAdminConfig",  # the admin site: accounts only, role-checked
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs' own static files (no CDN, which the CSP and the network forbid)
    "csp",
    "axes",
    "accord.accounts",
    "accord.people",
    "accord.facilities",
    "accord.cases",
    "accord.capacity",
    "accord.holds",
    "accord.movements",
    "accord.audit",
    "accord.ledger",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the switcher's cookie, else the browser's Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "accord.web.middleware.EnglishApi",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accord.web.middleware.VaryOnHtmx",
    "accord.web.middleware.RejectUnusableInput",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "accord.web.urls"
WSGI_APPLICATION = "accord.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
            ],
            "libraries": {"accord": "accord.web.templatetags.accord"},  # the project package is no app
        },
    },
]


_PREPARE_THRESHOLD = int(os.environ.get("ACCORD_DB_PREPARE_THRESHOLD", "2"))


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL")
    if url:
        database = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if database["ENGINE"] == "django.db.backends.postgresql" and _PREPARE_THRESHOLD:
            # Parameters bound by the server, and a statement run this often on a connection is
            # prepared: PostgreSQL then parses and plans it once, not on every request (a page of
            # the case list spent 1.3 ms of its 4 ms query planning). ACCORD_DB_PREPARE_THRESHOLD=0
            # turns both off, for a pooler in transaction mode that cannot keep prepared statements.
            options: dict[str, object] = {**database.get("OPTIONS", {})}
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", _PREPARE_THRESHOLD)
            database["OPTIONS"] = options
        return dict(database)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "accord.sqlite3",
        "OPTIONS": {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
            # BEGIN so that concurrent writers queue instead of failing mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # Tests use a file, not SQLite's shared in-memory database: threads racing for places must
        # meet the same locks as separate server processes do. In /dev/shm (memory) where there is one.
        "TEST": {"NAME": _scratch_dir() / f"accord-test-{os.getpid()}.sqlite3"},
    }


def _scratch_dir() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


DATABASES = {"default": _database()}

# A step screens the person before taking the write lock and re-checks, inside it, what that
# screening depended on; after this many stale screenings it screens under the lock.
ACCORD_STEP_SCREENING_ROUNDS = int(os.environ.get("ACCORD_STEP_SCREENING_ROUNDS", "3"))
# A use case that meets a locked database (SQLite) or a serialization failure or deadlock
# (PostgreSQL) runs again, this many times in all, after a jittered exponential backoff; then it
# answers "busy" (the API's 503 with Retry-After, in seconds).
ACCORD_BUSY_ATTEMPTS = int(os.environ.get("ACCORD_BUSY_ATTEMPTS", "4"))
ACCORD_BUSY_BACKOFF = float(os.environ.get("ACCORD_BUSY_BACKOFF", "0.25"))
ACCORD_BUSY_BACKOFF_MAX = float(os.environ.get("ACCORD_BUSY_BACKOFF_MAX", "4"))
ACCORD_BUSY_RETRY_AFTER = int(os.environ.get("ACCORD_BUSY_RETRY_AFTER", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login rate limit: five failures lock the username for fifteen minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
# Lock a username at one address: guessing someone's password from one place. Not the address
# alone (colleagues behind one office or ministry gateway would lock each other out) nor the
# username alone (anyone could lock an official out from anywhere).
AXES_LOCKOUT_PARAMETERS: list[str | list[str]] = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# English by default; Spanish for the receiving officers (San Salvador, Caracas, Mexico City,
# Bogotá) whose browser asks for it or who choose it in the header's switcher.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]  # the shared templates' and the apps' strings; movements has its own
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# ISO dates everywhere: officials in several countries read them, and they sort. With i18n on,
# a language's own format files win over these settings, so ours (web/formats/<lang>) say the same.
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
FORMAT_MODULE_PATH = ["accord.web.formats"]

STATIC_URL = "static/"
MEDIA_URL = "media/"  # nothing is served from here; without it, the test server serves the working directory
# Uploaded documents (the orders behind legal holds): read back only through a permission-checked view.
MEDIA_ROOT = DATA_DIR / "documents"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "web" / "static"]
# WhiteNoise serves static files from the app itself (no separate web server for the demo);
# in tests and the demo it finds them without a collectstatic step.
WHITENOISE_USE_FINDERS = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
