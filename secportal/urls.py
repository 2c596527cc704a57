from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from parties import views as party_views

from . import views

admin.site.site_header = "SEC Portal administration"
admin.site.site_title = "SEC Portal admin"
# The admin signs in through the portal's own login (rate limits, MFA), never a second form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("notifications/", include("secportal.notification_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("cookies/", views.cookies, name="cookies"),
    path("privacy/", views.page_text, {"slug": "privacy"}, name="privacy"),
    path("accessibility/", views.page_text, {"slug": "accessibility"}, name="accessibility"),
    path("pages/<slug:slug>/edit/", views.page_text_edit, name="page-edit"),
    path("pages/<slug:slug>/history/", views.page_text_history, name="page-history"),
    path("cookies/dismiss/", views.cookies_dismiss, name="cookies-dismiss"),
    # Public sign-up is off: people ask for an account for their Party instead.
    path("accounts/request/", party_views.account_request_create, name="account-request"),
    path("accounts/profile/", party_views.profile, name="profile"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("modifications/", include("modifications.urls")),
    path("", include("news.urls")),
    path("parties/", include("parties.urls")),
    path("panel/", include("panel.urls")),
]

handler400 = "secportal.errors.bad_request"
handler403 = "secportal.errors.permission_denied"
handler404 = "secportal.errors.page_not_found"
handler500 = "secportal.errors.server_error"
