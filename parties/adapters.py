"""django-allauth adapted to the portal: no public sign-up, emails through the outbox."""

from allauth.account.adapter import DefaultAccountAdapter

from secportal.services import outbox_enqueue_rendered


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People ask for an account for their Party; SECAS staff approve it.
        return False

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
