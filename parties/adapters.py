"""django-allauth adapted to the portal: no public sign-up, emails through the outbox."""

import time
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator

from secportal.services import outbox_enqueue_rendered


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People ask for an account for their Party; SECAS staff approve it.
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Someone sent to set up two-factor authentication straight after signing in need not
        type their password again to set it up and read their recovery codes: MFA changes skip
        re-authentication only while the sign-in is recent and every factor of the account was
        added since that sign-in. Changing an older factor still asks for the password."""
        request = self.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            records = get_authentication_records(request, request.user)
            signed_in_at = min((r["at"] for r in records), default=None)
            if signed_in_at is not None and time.time() - signed_in_at < account_settings.REAUTHENTICATION_TIMEOUT:
                since = datetime.fromtimestamp(signed_in_at, tz=UTC)
                if not Authenticator.objects.filter(user=request.user, created_at__lt=since).exists():
                    return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue allauth's emails (password reset, verification, MFA notices) in the outbox, so
        they survive an SMTP outage like every other message."""
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
        )
