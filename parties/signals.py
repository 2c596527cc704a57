"""Adapters of third-party events (allauth, Django's migrate) to our services."""

from allauth.account.signals import password_reset

from . import services


def on_password_reset(sender, request, user, **kwargs) -> None:
    services.user_verify_email_after_password_set(user=user)


def on_post_migrate(sender, **kwargs) -> None:
    services.roles_sync()


def connect() -> None:
    password_reset.connect(on_password_reset, dispatch_uid="parties.verify_email_on_password_set")
