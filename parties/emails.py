"""The kinds of email `parties` sends outside the notification kinds (parties/notifications.py
has SECAS's requests to decide), in words for SECAS's outbox page: account requests, invitations,
Party changes and allauth's own account emails (queued by the adapter as `allauth:<template prefix>`)."""

from secportal.registry import email_kinds

EMAIL_KINDS = {
    "account_request.already_has_account": "Account request for an address that has an account",
    "account_request.received": "Account request received (to the person asking)",
    "account_request.approved": "Account request approved, with a set-password link",
    "account_request.declined": "Account request declined",
    "party.invitation": "Invitation to join a Party",
    "party.user_reinstated": "Account reinstated in a Party",
    "party_change.approved": "Change to a Party's details approved",
    "party_change.rejected": "Change to a Party's details rejected",
    "allauth:account/email/email_changed": "Email address changed (notice)",
    "allauth:account/email/email_confirmation": "Email address verification link",
    "allauth:account/email/email_confirmation_signup": "Email address verification link (new account)",
    "allauth:account/email/email_deleted": "Email address removed (notice)",
    "allauth:account/email/password_changed": "Password changed (notice)",
    "allauth:account/email/password_reset": "Password reset (notice)",
    "allauth:account/email/password_reset_key": "Password reset link",
    "allauth:account/email/password_set": "Password set (notice)",
    "allauth:mfa/email/recovery_codes_generated": "New recovery codes (notice)",
    "allauth:mfa/email/totp_activated": "Authenticator app added (notice)",
    "allauth:mfa/email/totp_deactivated": "Authenticator app removed (notice)",
}


def register() -> None:
    for key, label in EMAIL_KINDS.items():
        email_kinds.register(key, label)
