"""Production settings: everything a deployment must set is required, and cookies are locked down.

Seedbed runs behind nginx (deploy/nginx.conf), which terminates TLS and sets X-Forwarded-Proto.
Every variable is listed, with comments, in .env.example at the repository root.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_list
from config.settings import *  # noqa: F403
from config.settings import SPECTACULAR_SETTINGS

_secret_key = os.environ.get("SECRET_KEY", "")
if len(_secret_key) < 50 or _secret_key.startswith(("dev-only", "django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in production to at least 50 random characters, e.g. "
        "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
_allowed_hosts = env_list("ALLOWED_HOSTS")
if not _allowed_hosts:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in production: the host names Seedbed is served under, comma-separated, "
        "e.g. ALLOWED_HOSTS=seedbed.example.cn"
    )
if "*" in _allowed_hosts:
    # nginx passes the client's Host header through; "*" would let any client choose the host
    # Django uses to build absolute links.
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the real host names in production, not '*'")

if os.environ.get("SEEDBED_TODAY", "").strip():
    # apps.core.clock: a chosen business date is for tests and demos; in production it would date
    # every flag, deadline and report wrongly.
    raise ImproperlyConfigured("SEEDBED_TODAY must not be set in production: it fixes the app clock to a chosen date")

SECRET_KEY = _secret_key
ALLOWED_HOSTS = _allowed_hosts
DEBUG = False

# TLS ends at nginx, which tells Django the original scheme in X-Forwarded-Proto. Only nginx can
# reach the web container, so the header cannot come from a client directly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers and monitors probe /healthz over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF cookie stays readable by the page's own scripts, as in development: HttpOnly on it adds
# nothing (Django's docs say so) and would make the front end behave differently here than in tests.
CSRF_COOKIE_HTTPONLY = False

SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_HSTS_PRELOAD:
    # Preloading binds the whole registrable domain, every subdomain included, to HTTPS in browsers
    # for months; that is the domain owner's decision (SECURE_HSTS_PRELOAD=true), not a default.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# drf-spectacular would generate the whole OpenAPI schema during `check --deploy` and report its
# warnings there. The schema is a contract checked where it is generated and diffed (CI), not a
# property of a deployment's configuration, so the deploy check leaves it out.
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "ENABLE_DJANGO_DEPLOY_CHECK": False}
