"""Adapters of third-party events (allauth, Django's migrate) to our services."""

from allauth.account.signals import password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset

from . import services


def on_password_reset(sender, request, user, **kwargs) -> None:
    services.user_verify_email_after_password_set(user=user)


def on_authenticator_changed(sender, request, user, **kwargs) -> None:
    # The session that made the change stays signed in; every other one ends.
    own = request is not None and getattr(request, "user", None) is not None and request.user.pk == user.pk
    services.user_mfa_changed(user=user, keep_session=request.session.session_key if own else None)


def on_post_migrate(sender, **kwargs) -> None:
    services.roles_sync()


def connect() -> None:
    password_reset.connect(on_password_reset, dispatch_uid="parties.verify_email_on_password_set")
    for signal in (authenticator_added, authenticator_removed, authenticator_reset):
        signal.connect(on_authenticator_changed, dispatch_uid=f"parties.mfa_changed.{id(signal)}")
