"""The /api/v1/ router: kebab-case plural routes, one per resource."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from apps.accounts.api import views as accounts
from apps.dashboard.api import views as dashboard
from apps.figures.api import views as figures
from apps.flags.api import views as flags
from apps.highlights.api import views as highlights
from apps.imports.api import views as imports
from apps.listing.api import views as listing
from apps.programmes.api import views as programmes
from apps.registry.api import views as registry
from apps.rules.api import views as rules

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
router.register("flags", flags.FlagViewSet, basename="flag")
router.register("notifications", flags.NotificationViewSet, basename="notification")
router.register("jobs", flags.JobRunViewSet, basename="job-run")
router.register("webhook-channels", flags.WebhookChannelViewSet, basename="webhook-channel")
router.register("figure-requirements", flags.FigureRequirementViewSet, basename="figure-requirement")
router.register("deadline-completions", flags.DeadlineCompletionViewSet, basename="deadline-completion")
router.register("rule-sets", rules.RuleSetViewSet, basename="rule-set")
router.register("highlights", highlights.HighlightViewSet, basename="highlight")
router.register("highlight-reports", highlights.PublishedReportViewSet, basename="highlight-report")
router.register("highlight-lines", highlights.ReportLineViewSet, basename="highlight-line")
router.register("highlight-tag-groups", highlights.TagGroupViewSet, basename="highlight-tag-group")
router.register("imports", imports.ImportJobViewSet, basename="import-job")

urlpatterns = [
    path("auth/login/", accounts.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="auth-logout"),
    path("auth/csrf/", accounts.CsrfView.as_view(), name="auth-csrf"),
    path("auth/password/", accounts.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password-reset/", accounts.PasswordResetRequestView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        accounts.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("calendar/", flags.CalendarView.as_view(), name="calendar"),
    # No name: the feed takes no session or API token (its address is the credential), see CalendarFeedView.
    path("calendar/<str:token>.ics", flags.CalendarFeedView.as_view()),
    path("firms/<pk>/eligibility/", rules.FirmEligibilityView.as_view(), name="firm-eligibility"),
    path("firms/<pk>/eligibility/what-if/", rules.FirmEligibilityWhatIfView.as_view(), name="firm-eligibility-what-if"),
    path("", include(router.urls)),
]
