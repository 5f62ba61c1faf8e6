"""The /api/v1/ router: kebab-case plural routes, one per resource."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from apps.accounts.api import views as accounts
from apps.figures.api import views as figures
from apps.listing.api import views as listing
from apps.programmes.api import views as programmes
from apps.registry.api import views as registry

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("zones", registry.ZoneViewSet, basename="zone")
router.register("industries", registry.IndustryViewSet, basename="industry")
router.register("firms", registry.FirmViewSet, basename="firm")
router.register("contacts", registry.ContactViewSet, basename="contact")
router.register("journal", registry.JournalViewSet, basename="journal")
router.register("users", accounts.UserViewSet, basename="user")
router.register("tokens", accounts.ApiTokenViewSet, basename="token")
router.register("listing-events", listing.ListingEventViewSet, basename="listing-event")
router.register("listing-status", listing.ListingStatusViewSet, basename="listing-status")
router.register("annual-figures", figures.AnnualFiguresViewSet, basename="annual-figures")
router.register("monthly-figures", figures.MonthlyFiguresViewSet, basename="monthly-figures")
router.register("evidence-files", figures.EvidenceFileViewSet, basename="evidence-file")
router.register("programmes", programmes.ProgrammeViewSet, basename="programme")
router.register("programme-deadlines", programmes.ProgrammeDeadlineViewSet, basename="programme-deadline")
router.register("certifications", programmes.CertificationViewSet, basename="certification")

urlpatterns = [
    path("auth/login/", accounts.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="auth-logout"),
    path("auth/csrf/", accounts.CsrfView.as_view(), name="auth-csrf"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
