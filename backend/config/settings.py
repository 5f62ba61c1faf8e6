"""Seedbed settings. Everything comes from the environment; defaults suit a developer machine.

Production overrides live in config.settings_production, which refuses to start without
SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import REPO_ROOT, VAR_DIR, database_from_url, env_bool, env_list, env_str

BASE_DIR = REPO_ROOT / "backend"

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "apps.core",
    "apps.accounts",
    "apps.registry",
    "apps.listing",
    "apps.figures",
    "apps.programmes",
    "apps.highlights",
    "apps.rules",
    "apps.flags",
    "apps.imports",
    "apps.dashboard",
    "apps.benchmarks",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.ChangeContextMiddleware",
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `./seedbed run` or `./seedbed test`, which start an embedded "
        "PostgreSQL, or point DATABASE_URL at a PostgreSQL server."
    )
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's rules with bilingual messages (apps/accounts/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "apps.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "apps.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "apps.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "apps.accounts.passwords.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The built web front end (frontend/dist) is served as /static/app/; see apps.web.
STATICFILES_DIRS = [("app", REPO_ROOT / "frontend" / "dist")] if (REPO_ROOT / "frontend" / "dist").is_dir() else []
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Content-Security-Policy of every response (apps.core.security); unset: the built-in policy, "": none.
SEEDBED_CSP = os.environ.get("SEEDBED_CSP")
# Password-reset links (POST /api/v1/auth/password-reset/) work once and expire after this many seconds.
PASSWORD_RESET_TIMEOUT = int(env_str("PASSWORD_RESET_TIMEOUT", str(2 * 3600)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env_str("SESSION_COOKIE_AGE", str(8 * 3600)))
CSRF_COOKIE_SAMESITE = "Lax"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "apps.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        # Client ordering with the key as the last tie-breaker: page 2 never repeats a row of page 1.
        "apps.core.api.ordering.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.SeedbedAutoSchema",
    # JSON bodies only; the upload views (evidence files, imports) set their own multipart parsers.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Seedbed API",
    "DESCRIPTION": "企业培育台账 — enterprise registry and cultivation tracker.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package, not a CDN: park intranets often have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ExitKindEnum": "apps.registry.models.ExitKind",
        "JournalKindEnum": "apps.registry.models.JournalKind",
        "LegalFormEnum": "apps.registry.models.LegalForm",
        "RoleEnum": "apps.accounts.models.Role",
        "CertificationStateEnum": "apps.programmes.models.CertificationState",
        "DeadlineKindEnum": "apps.programmes.models.DeadlineKind",
        "LevelEnum": "apps.programmes.models.Level",
        "CriterionKindEnum": "apps.rules.models.CriterionKind",
        "ImportKindEnum": "apps.imports.models.ImportKind",
        "ImportStatusEnum": "apps.imports.models.ImportStatus",
        "FigureStateEnum": "apps.figures.models.FigureState",
        "EvidenceKindEnum": "apps.figures.models.EvidenceKind",
        "FlagKindEnum": "apps.flags.models.FlagKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.binary_downloads",
        "apps.core.api.schema.english_names",
    ],
    "DEFAULT_GENERATOR_CLASS": "apps.core.api.schema.EnglishSchemaGenerator",
}

# Celery: Redis when REDIS_URL is set, otherwise a broker that needs no server (files under var/).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_RESULT_EXPIRES = 3600

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Seedbed's own knobs.
SEEDBED_LOGIN_FAILURE_LIMIT = int(env_str("SEEDBED_LOGIN_FAILURE_LIMIT", "5"))
SEEDBED_LOGIN_FAILURE_WINDOW_SECONDS = int(env_str("SEEDBED_LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Every login path shares django-axes' lockout, per username and client together (apps/accounts/lockout.py).
AUTHENTICATION_BACKENDS = ["apps.accounts.lockout.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = "apps.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "apps.accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "apps.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_SENSITIVE_PARAMETERS = ["password", "current_password", "new_password"]
# API tokens created in a browser session expire after at most this many days (apps.accounts.services).
SEEDBED_TOKEN_MAX_DAYS = int(env_str("SEEDBED_TOKEN_MAX_DAYS", "365"))
# Password-reset requests allowed within the window per address and per client address (429 beyond).
SEEDBED_PASSWORD_RESET_LIMIT = int(env_str("SEEDBED_PASSWORD_RESET_LIMIT", "3"))
SEEDBED_PASSWORD_RESET_IP_LIMIT = int(env_str("SEEDBED_PASSWORD_RESET_IP_LIMIT", "10"))
SEEDBED_PASSWORD_RESET_WINDOW_SECONDS = int(env_str("SEEDBED_PASSWORD_RESET_WINDOW_SECONDS", "3600"))
SEEDBED_MAX_PAGE_SIZE = 500
# List counts and live highlights are cached per process until the data changes, for at most this long
# (apps.core.datacache); 0 turns the cache off.
SEEDBED_DATA_CACHE_SECONDS = int(env_str("SEEDBED_DATA_CACHE_SECONDS", "30"))
# Only behind a proxy that sets X-Real-IP itself (docker-compose's nginx does); else clients could forge it.
SEEDBED_TRUST_X_REAL_IP = env_bool("SEEDBED_TRUST_X_REAL_IP", False)
SEEDBED_MAX_UPLOAD_BYTES = int(env_str("SEEDBED_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# Annual highlights: PostgreSQL work_mem of a report's own queries (apps.highlights.compute.report_session).
SEEDBED_REPORT_WORK_MEM = env_str("SEEDBED_REPORT_WORK_MEM", "64MB")
# Imports (docs/imports.md): files above the inline limit are checked and committed by a Celery task.
SEEDBED_IMPORT_INLINE_MAX_ROWS = int(env_str("SEEDBED_IMPORT_INLINE_MAX_ROWS", "2000"))
SEEDBED_IMPORT_MAX_ROWS = int(env_str("SEEDBED_IMPORT_MAX_ROWS", "200000"))
SEEDBED_IMPORT_QUEUE = env_str("SEEDBED_IMPORT_QUEUE", "")  # empty: Celery's default queue
SEEDBED_IMPORT_CHUNK_ROWS = int(env_str("SEEDBED_IMPORT_CHUNK_ROWS", "5000"))  # rows written between progress reports
# Tests only: a pause between chunks, so that a commit is slow enough to kill mid-way.
SEEDBED_IMPORT_CHUNK_SLEEP = float(env_str("SEEDBED_IMPORT_CHUNK_SLEEP", "0"))
SEEDBED_EXPORT_MAX_ROWS = int(env_str("SEEDBED_EXPORT_MAX_ROWS", "200000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"
# Every request runs in one transaction: a failed request changes nothing.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "core.heartbeat", "schedule": 60.0, "options": {"expires": 55}},
}
# Flags, scheduled jobs and notifications (apps.flags; every knob and its default in apps/flags/conf.py).
SEEDBED_SCAN_BATCH_FIRMS = int(env_str("SEEDBED_SCAN_BATCH_FIRMS", "20000"))
SEEDBED_SCAN_BATCH_SLEEP = float(env_str("SEEDBED_SCAN_BATCH_SLEEP", "0"))  # tests only: a scan slow enough to kill
SEEDBED_FLAGS_QUEUE = env_str("SEEDBED_FLAGS_QUEUE", "")
SEEDBED_PUBLIC_URL = env_str("SEEDBED_PUBLIC_URL", "http://127.0.0.1:8000")
# Webhook robots may only be public internet addresses; these host names / IP networks (CIDR) are allowed besides
# (an on-premises relay). Comma-separated.
SEEDBED_WEBHOOK_ALLOW_HOSTS = env_str("SEEDBED_WEBHOOK_ALLOW_HOSTS", "")
# Email: printed to the console unless EMAIL_HOST names an SMTP server.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Seedbed <seedbed@localhost>")
