"""Security headers Django's SecurityMiddleware does not set: a Content Security Policy.

The policy allows only what the front end needs. Vite builds the app into script and style files
served from our own origin (no inline scripts); Element Plus and ECharts set inline `style`
attributes, hence `'unsafe-inline'` for styles only; icons and charts may use data: and blob: images.
The interactive API docs load their start-up script from a URL too (SpectacularSwaggerSplitView).
SEEDBED_CSP replaces the whole policy (e.g. to add a reporting endpoint); an empty value turns it off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy() -> str:
    value = getattr(settings, "SEEDBED_CSP", None)
    return DEFAULT_CSP if value is None else str(value)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = content_security_policy()
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response
