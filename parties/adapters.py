"""django-allauth adapted to the portal: no public sign-up, emails through the outbox."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.urls import reverse

from secportal.services import outbox_enqueue_rendered

# Setting up a first authenticator and reading the recovery codes that come with it.
_FIRST_SET_UP_VIEWS = frozenset({"mfa_activate_totp", "mfa_view_recovery_codes", "mfa_download_recovery_codes"})


SITE_NAME = "SEC Portal"

# Said for every failed sign-in, whatever the address: a request still awaiting SECAS's decision
# has no account and no password yet, so the portal cannot tell its owner apart from a stranger
# typing their address. Naming the pending request only when asked about that address would tell
# anyone who asked; one message for every failure tells nobody anything.
SIGN_IN_FAILED = (
    "The email address or password is not correct. If you asked for an account recently, your "
    "request may still be awaiting SECAS's decision: we email you when it is decided, with a link "
    "to set your password."
)


@dataclass(frozen=True)
class Site:
    """What allauth's emails call `current_site`: the portal's name and the host of SITE_URL."""

    name: str
    domain: str


def portal_site() -> Site:
    return Site(name=SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {**DefaultAccountAdapter.error_messages, "email_password_mismatch": SIGN_IN_FAILED}

    def is_open_for_signup(self, request) -> bool:
        # People ask for an account for their Party; SECAS staff approve it.
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Someone sent to set up two-factor authentication straight after signing in need not
        type their password again to set it up and read its recovery codes: those two pages skip
        re-authentication only while the sign-in is recent and every factor of the account was
        added since that sign-in. Every other MFA change (deactivating, regenerating codes, an
        older factor) asks for the password again."""
        request = self.request
        url_name = getattr(getattr(request, "resolver_match", None), "url_name", None)
        if (
            app == "allauth.mfa"
            and url_name in _FIRST_SET_UP_VIEWS
            and request is not None
            and request.user.is_authenticated
        ):
            records = get_authentication_records(request, request.user)
            signed_in_at = min((r["at"] for r in records), default=None)
            if signed_in_at is not None and time.time() - signed_in_at < account_settings.REAUTHENTICATION_TIMEOUT:
                since = datetime.fromtimestamp(signed_in_at, tz=UTC)
                if not Authenticator.objects.filter(user=request.user, created_at__lt=since).exists():
                    return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The verification link on SITE_URL, never the host a request happened to name."""
        return settings.SITE_URL + reverse("account_confirm_email", args=[emailconfirmation.key])

    def send_notification_mail(self, template_prefix: str, user, context=None, email=None) -> None:
        """allauth's notices of account changes (ACCOUNT_EMAIL_NOTIFICATIONS), except for a first
        password: a new account sets it from the link its approval or reset emailed, before it has
        ever signed in, and "your password was set: if you did not make this change..." would only
        alarm the person who just made it."""
        if template_prefix == "account/email/password_reset" and user.last_login is None:
            return
        super().send_notification_mail(template_prefix, user, context=context, email=email)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue allauth's emails (password reset, verification, MFA notices) in the outbox, so
        they survive an SMTP outage like every other message. The templates are the portal's own
        (templates/account/email, templates/mfa/email); they name the site and link to SITE_URL."""
        context = {**context}
        context.setdefault("current_site", portal_site())
        context.setdefault("site_url", settings.SITE_URL)
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        outbox_enqueue_rendered(
            recipient=email,
            kind=f"allauth:{template_prefix}",
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            user=context.get("user"),
            unique=False,
            sensitive=True,  # reset, verification and sign-in links
        )
