from django.urls import re_path

from apps.web.views import spa

# Everything but the API, the admin site, static and media files and the health check: the front end's
# router decides what the path means (and shows its own not-found page).
urlpatterns = [
    re_path(r"^(?!(?:api|admin|static|media)(?:/|$)|healthz/?$).*$", spa, name="spa"),
]
