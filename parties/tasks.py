"""Work that pages answering strangers hand to a worker, so that the page does the same work
whatever address was typed: whether an address has an account is found out here, never while
the page is answered (a page that took longer for a known address would tell who has one)."""

import logging
from functools import partial

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import filter_users_by_email, user_pk_to_url_str
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from secportal.exceptions import ApplicationError

from . import services
from .models import Party

logger = logging.getLogger(__name__)

# One quick retry if the broker does not answer (it renews a connection Redis closed), then give
# up: the page must not hang, and says the same either way; the person can ask again.
_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0}


def enqueue_after_commit(task, **kwargs) -> None:
    """Publish `task` with these arguments once the request's transaction commits: the same one
    call for every address, known or not."""
    transaction.on_commit(partial(task.apply_async, kwargs=kwargs, retry_policy=_PUBLISH_RETRY_POLICY), robust=True)


@shared_task(name="parties.tasks.password_reset_send", ignore_result=True)
def password_reset_send(*, email: str) -> int:
    """allauth's password-reset email to each active account with this address (through the
    adapter, so it goes through the outbox). An unknown address gets nothing
    (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS is off). Returns how many were sent."""
    adapter = get_adapter()
    users = filter_users_by_email(email, is_active=True, prefer_verified=True)
    with transaction.atomic():
        for user in users:
            uid, key = user_pk_to_url_str(user), default_token_generator.make_token(user)
            path = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key})
            context = {"user": user, "password_reset_url": f"{settings.SITE_URL}{path}", "uid": uid, "key": key}
            adapter.send_password_reset_mail(user, email, context)
    return len(users)


@shared_task(name="parties.tasks.account_request_receive", ignore_result=True)
def account_request_receive(*, full_name: str, email: str, party_id: int, job_title: str, reason: str = "") -> None:
    """Record a request for an account (or tell the owner of an existing account that someone asked)."""
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        logger.warning("Account request for a Party that no longer exists (%s); nothing recorded.", party_id)
        return
    try:
        services.account_request_create(
            full_name=full_name, email=email, party=party, job_title=job_title, reason=reason
        )
    except ApplicationError as exc:  # the Party withdrew since the form was shown
        logger.warning("Account request not recorded: %s", exc.message)
