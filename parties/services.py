"""Writes for Parties, users and account requests."""

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from secportal.exceptions import ApplicationError
from secportal.services import outbox_enqueue

from . import roles
from .models import AccountRequest, Party, User
from .permissions import can_decide_account_request
from .selectors import staff_recipients


def roles_sync() -> dict[str, Group]:
    """Create the role Groups and give them their permissions (run after every migrate)."""
    groups = {}
    for name in roles.ALL_ROLES:
        groups[name], _ = Group.objects.get_or_create(name=name)
    staff_perms = Permission.objects.filter(content_type__app_label__in=roles.STAFF_APPS)
    groups[roles.SECAS_STAFF].permissions.set(staff_perms)
    for name, codes in roles.ROLE_PERMISSIONS.items():
        wanted = Q(pk__in=[])
        for code in codes:
            app_label, codename = code.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        # Permissions of apps not migrated yet are granted by the post_migrate of a later app.
        groups[name].permissions.set(Permission.objects.filter(wanted))
    return groups


def user_set_roles(*, user: User, role_names: set[str]) -> User:
    """Give a user exactly these roles (Group memberships)."""
    unknown = set(role_names) - set(roles.ALL_ROLES)
    if unknown:
        raise ApplicationError(f"Unknown role: {', '.join(sorted(unknown))}.")
    user.groups.set(Group.objects.filter(name__in=role_names))
    user.__dict__.pop("role_names", None)
    return user


def _set_password_url(user: User) -> str:
    from django.conf import settings

    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def account_request_create(
    *, full_name: str, email: str, party: Party, job_title: str, reason: str = ""
) -> AccountRequest | None:
    """Record a request for an account and tell SECAS staff and the requester.

    To avoid telling strangers who has an account, an email that already has one (or a request
    awaiting a decision) gets the same confirmation page; the person is emailed what applies.
    Returns the new request, or None when nothing new was recorded.
    """
    email = email.strip().lower()
    if party.status == Party.Status.WITHDRAWN:
        raise ApplicationError(f"{party.name} has withdrawn from the SEC; accounts cannot be requested for it.")
    existing_user = User.objects.filter(email__iexact=email).first()
    if existing_user is not None:
        outbox_enqueue(
            recipient=email,
            kind="account_request.already_has_account",
            template_prefix="emails/parties/account_exists",
            context={"user": existing_user, "reset_url": reverse("account_reset_password")},
            user=existing_user,
            unique=False,
        )
        return None
    if AccountRequest.objects.filter(email__iexact=email, status=AccountRequest.Status.PENDING).exists():
        return None
    account_request = AccountRequest.objects.create(
        full_name=full_name.strip(), email=email, party=party, job_title=job_title.strip(), reason=reason.strip()
    )
    outbox_enqueue(
        recipient=email,
        kind="account_request.received",
        template_prefix="emails/parties/account_request_received",
        context={"account_request": account_request},
        subject_obj=account_request,
    )
    for staff in staff_recipients():
        outbox_enqueue(
            recipient=staff.email,
            kind="account_request.to_decide",
            template_prefix="emails/parties/account_request_to_decide",
            context={"account_request": account_request, "staff": staff},
            subject_obj=account_request,
            user=staff,
        )
    return account_request


def _lock_pending(account_request: AccountRequest) -> AccountRequest:
    locked = AccountRequest.objects.select_for_update().select_related("party").get(pk=account_request.pk)
    if locked.status != AccountRequest.Status.PENDING:
        raise ApplicationError(f"This request was already {locked.get_status_display().lower()}; nothing was changed.")
    return locked


def _record_decision(
    account_request: AccountRequest, *, actor: User, status: str, context: dict | None = None, user: User | None = None
) -> AccountRequest:
    """Save a decision on a locked, pending request and queue the email that tells the person."""
    account_request.status = status
    account_request.decided_at = timezone.now()
    account_request.decided_by = actor
    account_request.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "user"])
    outbox_enqueue(
        recipient=account_request.email,
        kind=f"account_request.{status}",
        template_prefix=f"emails/parties/account_request_{status}",
        context={"account_request": account_request, **(context or {})},
        subject_obj=account_request,
        user=user,
    )
    return account_request


@transaction.atomic
def account_request_approve(*, actor: User, account_request: AccountRequest) -> AccountRequest:
    """Create the person's account in their Party and email them a link to set a password."""
    if not can_decide_account_request(actor):
        raise ApplicationError("Only SECAS staff can approve account requests.")
    account_request = _lock_pending(account_request)
    if User.objects.filter(email__iexact=account_request.email).exists():
        raise ApplicationError(f"An account for {account_request.email} already exists. Decline this request instead.")
    if account_request.party.status == Party.Status.WITHDRAWN:
        raise ApplicationError(
            f"{account_request.party.name} has withdrawn from the SEC. Decline this request instead."
        )
    user = User.objects.create_user(
        email=account_request.email,
        full_name=account_request.full_name,
        job_title=account_request.job_title,
        party=account_request.party,
    )
    user_set_roles(user=user, role_names={roles.PARTY_USER})
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    account_request.user = user
    return _record_decision(
        account_request,
        actor=actor,
        status=AccountRequest.Status.APPROVED,
        context={"user": user, "set_password_url": _set_password_url(user)},
        user=user,
    )


@transaction.atomic
def account_request_decline(*, actor: User, account_request: AccountRequest, reason: str) -> AccountRequest:
    """Decline a request, telling the person why."""
    if not can_decide_account_request(actor):
        raise ApplicationError("Only SECAS staff can decline account requests.")
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Give the reason for declining; it is sent to the person who asked.")
    account_request = _lock_pending(account_request)
    account_request.decision_note = reason
    return _record_decision(account_request, actor=actor, status=AccountRequest.Status.DECLINED)


@transaction.atomic
def user_verify_email_after_password_set(*, user: User) -> None:
    """The set-password link went to the person's address: following it proves they own it."""
    EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).update(verified=True)
