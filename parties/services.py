"""Writes for Parties, their people, invitations, change requests and account requests."""

import hashlib
import secrets
from datetime import date, timedelta

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from secportal.exceptions import ApplicationError
from secportal.services import outbox_enqueue
from secportal.sessions import sessions_end

from . import notifications, roles
from .models import (
    RESERVED_SLUGS,
    AccountRequest,
    Invitation,
    Party,
    PartyChangeRequest,
    PartyEvent,
    PartySlug,
    User,
    VotingGroup,
)
from .permissions import (
    can_decide_account_request,
    can_decide_party_change,
    can_manage_party_users,
    can_request_party_change,
    is_secas_staff,
)
from .validators import clean_person_name


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


def user_set_roles(*, actor: User | None, user: User, role_names: set[str]) -> User:
    """Give a user exactly these roles (Group memberships).

    `actor` is the person who asks, or None for the portal itself (seeding the demo). Only a
    superuser gives or takes away the SECAS staff role: it opens the Django admin and every staff
    page. (A committee place is not a role: panel.permissions reads it from the membership.)"""
    unknown = set(role_names) - set(roles.ALL_ROLES)
    if unknown:
        raise ApplicationError(f"Unknown role: {', '.join(sorted(unknown))}.")
    staff_changes = (roles.SECAS_STAFF in role_names) != (roles.SECAS_STAFF in user.role_names)
    if staff_changes and actor is not None and not (actor.is_active and actor.is_superuser):
        raise ApplicationError("Only a superuser can give or take away the SECAS staff role.")
    user.groups.set(Group.objects.filter(name__in=role_names))
    for kept in ("role_names", "roles_and_permissions"):
        user.__dict__.pop(kept, None)
    # Django admin access goes with the SECAS staff role (superusers keep theirs).
    is_staff = roles.SECAS_STAFF in role_names or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    return user


@transaction.atomic
def user_mfa_changed(*, user: User, keep_session: str | None = None) -> User:
    """A second factor was added or removed: end every other session of the account (all of them
    when the change did not come from one of its own sessions)."""
    sessions_end(user_id=user.pk, keep=keep_session)
    return user


def _person_name(value: str) -> str:
    """A person's name by the one rule (parties.validators), or a clear refusal."""
    try:
        return clean_person_name(value)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0]) from None


def _set_password_url(user: User) -> str:
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
    full_name = _person_name(full_name)
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
            occurrence=timezone.localdate().isoformat(),  # at most once a day, however often asked
        )
        return None
    if AccountRequest.objects.filter(email__iexact=email, status=AccountRequest.Status.PENDING).exists():
        return None
    try:
        with transaction.atomic():
            account_request = AccountRequest.objects.create(
                full_name=full_name,
                email=email,
                party=party,
                job_title=job_title.strip(),
                reason=reason.strip(),
            )
    except IntegrityError:
        return None  # the same person, a moment ago, in another request
    outbox_enqueue(
        recipient=email,
        kind="account_request.received",
        template_prefix="emails/parties/account_request_received",
        context={"account_request": account_request},
        subject_obj=account_request,
    )
    notifications.account_request_to_decide(account_request=account_request)  # SECAS staff, after commit
    return account_request


def _lock_pending(account_request: AccountRequest) -> AccountRequest:
    locked = AccountRequest.objects.select_for_update().select_related("party").get(pk=account_request.pk)
    if locked.status != AccountRequest.Status.PENDING:
        raise ApplicationError(f"This request was already {locked.get_status_display().lower()}; nothing was changed.")
    return locked


def _record_decision(
    account_request: AccountRequest,
    *,
    actor: User,
    status: str,
    context: dict | None = None,
    user: User | None = None,
    sensitive: bool = False,
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
        sensitive=sensitive,
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
    try:
        full_name = clean_person_name(account_request.full_name)
    except ValidationError as exc:  # a request kept from before the rule
        raise ApplicationError(f"The name on this request is not accepted: {exc.messages[0]} Decline it.") from None
    user = User.objects.create_user(
        email=account_request.email,
        full_name=full_name,
        job_title=account_request.job_title,
        party=account_request.party,
    )
    user_set_roles(actor=actor, user=user, role_names={roles.PARTY_USER})
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    account_request.user = user
    _event(
        account_request.party,
        kind=PartyEvent.Kind.USER_JOINED,
        actor=actor,
        summary=f"{user} ({user.email}) joined: account request approved by {actor}",
    )
    return _record_decision(
        account_request,
        actor=actor,
        status=AccountRequest.Status.APPROVED,
        context={"user": user, "set_password_url": _set_password_url(user)},
        user=user,
        sensitive=True,
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


# --- Parties ---------------------------------------------------------------------------------


def _event(
    party: Party,
    *,
    kind: str,
    actor: User | None,
    summary: str,
    changes: dict | None = None,
    person: User | None = None,
) -> PartyEvent:
    return PartyEvent.objects.create(
        party=party, kind=kind, actor=actor, summary=summary, changes=changes or {}, person=person
    )


def _require_staff(actor: User, what: str) -> None:
    if not is_secas_staff(actor):
        raise ApplicationError(f"Only SECAS staff can {what}.")


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:180] or "party"
    if base in RESERVED_SLUGS:
        base = f"{base}-party"
    slug, n = base, 2
    while (
        Party.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()
        or PartySlug.objects.filter(slug=slug).exclude(party_id=exclude_pk).exists()
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    if Party.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ApplicationError(f"Another Party is already called {name}.")


def _apply_details(party: Party, values: dict) -> dict:
    """Set the given fields; a new name gets a new slug and the old one keeps redirecting.
    Returns {field: [old, new]} for what changed."""
    changes = {}
    for field, new in values.items():
        old = getattr(party, field)
        if old == new:
            continue
        if field == "name":
            _check_name_free(new, exclude_pk=party.pk)
        changes[field] = [_plain(old), _plain(new)]
        setattr(party, field, new)
    if "name" in changes:
        new_slug = _unique_slug(party.name, exclude_pk=party.pk)
        if new_slug != party.slug:
            PartySlug.objects.filter(slug=new_slug, party=party).delete()
            PartySlug.objects.get_or_create(slug=party.slug, defaults={"party": party})
            party.slug = new_slug
    return changes


def _plain(value):
    if isinstance(value, VotingGroup):
        return value.name
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def party_create(*, actor: User, name: str, category: str, status_on: date | None = None, **details) -> Party:
    """Record a new Party at the start of accession (status Applied, on `status_on`)."""
    _require_staff(actor, "record a Party")
    name = name.strip()
    _check_name_free(name)
    party = Party(
        name=name,
        slug=_unique_slug(name),
        category=category,
        status=Party.Status.APPLIED,
        applied_on=status_on or timezone.localdate(),
        **details,
    )
    party.save()
    _event(party, kind=PartyEvent.Kind.CREATED, actor=actor, summary=f"{party.name} recorded as applied to accede")
    return party


@transaction.atomic
def party_update(*, actor: User, party: Party, **values) -> Party:
    """SECAS staff edit a Party's details (name, category, contact, Voting Group ...)."""
    _require_staff(actor, "edit a Party")
    party = Party.objects.select_for_update().get(pk=party.pk)
    changes = _apply_details(party, values)
    if not changes:
        return party
    party.save()
    _event(
        party,
        kind=PartyEvent.Kind.UPDATED,
        actor=actor,
        summary="Details edited: " + ", ".join(Party._meta.get_field(f).verbose_name for f in changes),
        changes=changes,
    )
    return party


@transaction.atomic
def party_change_status(*, actor: User, party: Party, status: str, on: date, note: str = "") -> Party:
    """Record the next accession step (agreement sent, acceded) or a withdrawal."""
    _require_staff(actor, "record accession steps")
    party = Party.objects.select_for_update().get(pk=party.pk)
    old = party.status
    if status not in Party.TRANSITIONS[old]:
        raise ApplicationError(
            f"{party.name} is {party.get_status_display().lower()}; it cannot become "
            f"{Party.Status(status).label.lower()}."
        )
    if status == Party.Status.ACCEDED and not party.party_signifier:
        raise ApplicationError("Give the Party its Party Signifier before recording that it has acceded.")
    party.status = status
    setattr(party, Party.STATUS_DATE_FIELDS[status], on)
    party.save(update_fields=["status", Party.STATUS_DATE_FIELDS[status]])
    summary = f"{Party.Status(old).label} → {Party.Status(status).label} on {on:%d %B %Y}"
    if note:
        summary += f": {note}"
    _event(
        party,
        kind=PartyEvent.Kind.STATUS_CHANGED,
        actor=actor,
        summary=summary[:500],
        changes={"status": [old, status], "on": on.isoformat()},
    )
    return party


def party_has_history(party: Party) -> bool:
    return (
        party.users.exists()
        or party.account_requests.exists()
        or party.invitations.exists()
        or party.change_requests.exists()
        or party.events.exclude(kind=PartyEvent.Kind.CREATED).exists()
    )


@transaction.atomic
def party_delete(*, actor: User, party: Party) -> None:
    """Delete a Party recorded by mistake. A Party with history is withdrawn, never deleted."""
    _require_staff(actor, "delete a Party")
    party = Party.objects.select_for_update().get(pk=party.pk)
    if party_has_history(party):
        raise ApplicationError(
            f"{party.name} has history (people, requests or recorded steps), so it cannot be deleted. "
            "Record its withdrawal instead: the register then shows it as withdrawn."
        )
    party.delete()


# --- People of a Party ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, actor: User, party: Party, email: str) -> Invitation:
    """Invite a colleague to the Party; the email carries a link that expires."""
    if not can_manage_party_users(actor, party):
        raise ApplicationError("Only this Party's administrators can invite colleagues.")
    if party.status == Party.Status.WITHDRAWN:
        raise ApplicationError(f"{party.name} has withdrawn from the SEC; no one can be invited to it.")
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            f"{email} already has a portal account. If they have moved to your Party, ask SECAS to move them."
        )
    now = timezone.now()
    open_invitations = Invitation.objects.select_for_update().filter(
        party=party, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    for old in open_invitations:
        if old.expires_at > now:
            raise ApplicationError(
                f"{email} already has an invitation that is open until "
                f"{timezone.localtime(old.expires_at):%d %B %Y, %H:%M %Z}. Withdraw it to send a new one."
            )
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                party=party,
                email=email,
                invited_by=actor,
                token_hash=_token_hash(token),
                expires_at=now + timedelta(days=settings.SECPORTAL_INVITATION_DAYS),
            )
    except IntegrityError:
        raise ApplicationError(f"{email} was invited a moment ago; that invitation stands.") from None
    _event(party, kind=PartyEvent.Kind.USER_INVITED, actor=actor, summary=f"{email} invited by {actor}")
    outbox_enqueue(
        recipient=email,
        kind="party.invitation",
        template_prefix="emails/parties/invitation",
        context={
            "invitation": invitation,
            "accept_url": settings.SITE_URL + reverse("parties:invitation-accept", args=[token]),
            "days": settings.SECPORTAL_INVITATION_DAYS,
        },
        subject_obj=invitation,
        sensitive=True,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("party").get(pk=invitation.pk)
    if not can_manage_party_users(actor, invitation.party):
        raise ApplicationError("Only this Party's administrators can withdraw its invitations.")
    if invitation.state() != "open":
        raise ApplicationError(f"This invitation is {invitation.state()}; there is nothing to withdraw.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _event(
        invitation.party,
        kind=PartyEvent.Kind.INVITATION_REVOKED,
        actor=actor,
        summary=f"Invitation to {invitation.email} withdrawn",
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("party", "invited_by").filter(token_hash=_token_hash(token)).first()


INVITATION_REFUSALS = {
    "accepted": "This invitation has already been used. Sign in with the account it created.",
    "revoked": "This invitation was withdrawn by the Party's administrator. Ask them to invite you again.",
    "expired": "This invitation has expired. Ask your Party's administrator to invite you again.",
}


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, job_title: str, password: str) -> User:
    """Create the invited person's account, approved, in the inviting Party."""
    full_name = _person_name(full_name)
    found = invitation_for_token(token)
    if found is None:
        raise ApplicationError("This invitation link is not valid. Check that you copied all of it.")
    invitation = Invitation.objects.select_for_update().select_related("party").get(pk=found.pk)
    state = invitation.state()
    if state != "open":
        raise ApplicationError(INVITATION_REFUSALS[state])
    if invitation.party.status == Party.Status.WITHDRAWN:
        raise ApplicationError(f"{invitation.party.name} has withdrawn from the SEC; the invitation no longer works.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ApplicationError(f"{invitation.email} already has a portal account. Sign in instead.")
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name,
        job_title=job_title.strip(),
        party=invitation.party,
    )
    user_set_roles(actor=user, user=user, role_names={roles.PARTY_USER})
    # The link went to this address: following it proves the person owns it.
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    _event(
        invitation.party,
        kind=PartyEvent.Kind.USER_JOINED,
        actor=user,
        summary=f"{user} joined, invited by {invitation.invited_by}",
    )
    return user


def _lock_party_user(actor: User, user: User, what: str) -> User:
    user = User.objects.select_for_update(of=("self",)).select_related("party").get(pk=user.pk)
    if user.party is None or not can_manage_party_users(actor, user.party):
        raise ApplicationError(f"Only the administrators of this person's Party can {what}.")
    if not user.is_active:
        raise ApplicationError(f"{user} has already been removed.")
    return user


def _admin_count(party: Party) -> int:
    return party.users.filter(is_active=True, groups__name=roles.PARTY_ADMINISTRATOR).count()


@transaction.atomic
def party_user_remove(*, actor: User, user: User) -> User:
    """The person can no longer sign in and every session of theirs ends now; what they did
    (responses, votes) stays theirs. Their Party's administrators or SECAS can reinstate them."""
    user = _lock_party_user(actor, user, "remove them")
    if user.pk == actor.pk:
        raise ApplicationError("You cannot remove yourself. Ask another administrator of your Party, or SECAS.")
    before = sorted(user.role_names)
    user.is_active = False
    user.removed_at = timezone.now()
    user.save(update_fields=["is_active", "removed_at"])
    user_set_roles(actor=actor, user=user, role_names=set())
    sessions_end(user_id=user.pk)
    _event(
        user.party,
        kind=PartyEvent.Kind.USER_REMOVED,
        actor=actor,
        summary=f"{user} ({user.email}) removed",
        changes={"roles": [before, []]},
        person=user,
    )
    return user


def _last_removal(user: User) -> PartyEvent | None:
    """The removal a reinstatement would undo: the person's latest removal, unless something
    since (a reinstatement) already undid it."""
    latest = (
        PartyEvent.objects.filter(person=user, kind__in=[PartyEvent.Kind.USER_REMOVED, PartyEvent.Kind.USER_REINSTATED])
        .select_related("party")
        .order_by("-created_at", "-id")
        .first()
    )
    return latest if latest is not None and latest.kind == PartyEvent.Kind.USER_REMOVED else None


@transaction.atomic
def party_user_reinstate(*, actor: User, user: User) -> User:
    """Undo a removal: the person signs in again (with their password and second factor as they
    were) with the roles they had when they were removed, and is told by email.

    Only the administrators of the Party they were removed from, or SECAS, may do it; not if they
    have been reinstated already, belong to another Party since, or their Party has withdrawn."""
    user = User.objects.select_for_update(of=("self",)).select_related("party").get(pk=user.pk)
    if user.party is None or not can_manage_party_users(actor, user.party):
        raise ApplicationError("Only the administrators of this person's Party, or SECAS, can reinstate them.")
    if user.is_active:
        raise ApplicationError(f"{user} is not removed: they may have been reinstated already. Nothing was changed.")
    removal = _last_removal(user)
    if removal is None:
        raise ApplicationError(
            f"The portal has no record of {user}'s removal, so it cannot reinstate them as they were. Ask SECAS."
        )
    if removal.party_id != user.party_id:
        raise ApplicationError(
            f"{user} was removed from {removal.party} and belongs to {user.party} since; "
            "they cannot be reinstated as they were. Ask SECAS."
        )
    if user.party.status == Party.Status.WITHDRAWN:
        raise ApplicationError(f"{user.party.name} has withdrawn from the SEC; no one can be reinstated to it.")
    restored = set(removal.changes.get("roles", [[]])[0]) or {roles.PARTY_USER}
    user.is_active = True
    user.removed_at = None
    user.save(update_fields=["is_active", "removed_at"])
    user_set_roles(actor=actor, user=user, role_names=restored)
    event = _event(
        user.party,
        kind=PartyEvent.Kind.USER_REINSTATED,
        actor=actor,
        summary=f"{user} ({user.email}) reinstated",
        changes={"roles": [[], sorted(restored)]},
        person=user,
    )
    outbox_enqueue(
        recipient=user.email,
        kind="party.user_reinstated",
        template_prefix="emails/parties/user_reinstated",
        context={"user": user, "party": user.party, "administrator": roles.PARTY_ADMINISTRATOR in restored},
        subject_obj=event,  # each reinstatement is told once, however often it is retried
        user=user,
    )
    return user


@transaction.atomic
def party_admin_promote(*, actor: User, user: User) -> User:
    user = _lock_party_user(actor, user, "make them an administrator")
    if user.is_party_administrator:
        raise ApplicationError(f"{user} is already an administrator of {user.party}.")
    user_set_roles(actor=actor, user=user, role_names=set(user.role_names) | {roles.PARTY_ADMINISTRATOR})
    _event(user.party, kind=PartyEvent.Kind.ADMIN_PROMOTED, actor=actor, summary=f"{user} made an administrator")
    return user


@transaction.atomic
def party_admin_demote(*, actor: User, user: User) -> User:
    user = _lock_party_user(actor, user, "change their role")
    if not user.is_party_administrator:
        raise ApplicationError(f"{user} is not an administrator.")
    # Lock the Party's row so two administrators cannot demote each other at once.
    Party.objects.select_for_update().get(pk=user.party_id)
    if _admin_count(user.party) <= 1:
        raise ApplicationError(f"{user} is the only administrator of {user.party}; make someone else one first.")
    user_set_roles(actor=actor, user=user, role_names=set(user.role_names) - {roles.PARTY_ADMINISTRATOR})
    _event(user.party, kind=PartyEvent.Kind.ADMIN_DEMOTED, actor=actor, summary=f"{user} is no longer an administrator")
    return user


@transaction.atomic
def user_update_profile(*, actor: User, full_name: str, job_title: str) -> User:
    actor.full_name = _person_name(full_name)
    actor.job_title = job_title.strip()
    actor.save(update_fields=["full_name", "job_title"])
    return actor


# --- Changes to a Party's details ----------------------------------------------------------------


@transaction.atomic
def party_change_request_create(*, actor: User, party: Party, proposed: dict, reason: str = "") -> PartyChangeRequest:
    """A Party administrator asks for new details; nothing changes until SECAS approves."""
    if not can_request_party_change(actor, party):
        raise ApplicationError("Only this Party's administrators can ask to change its details.")
    party = Party.objects.select_for_update().get(pk=party.pk)
    unknown = set(proposed) - set(Party.DETAIL_FIELDS)
    if unknown:
        raise ApplicationError(f"These details cannot be changed this way: {', '.join(sorted(unknown))}.")
    changed = {f: v for f, v in proposed.items() if getattr(party, f) != v}
    if not changed:
        raise ApplicationError("Nothing would change: the details you sent are the ones we hold.")
    if "name" in changed:
        _check_name_free(changed["name"], exclude_pk=party.pk)
    if party.change_requests.filter(status=PartyChangeRequest.Status.PENDING).exists():
        raise ApplicationError("A change to this Party's details is already awaiting SECAS; wait for that decision.")
    change = PartyChangeRequest.objects.create(
        party=party,
        requested_by=actor,
        proposed=changed,
        previous={f: getattr(party, f) for f in changed},
        reason=reason.strip(),
    )
    _event(
        party,
        kind=PartyEvent.Kind.CHANGE_REQUESTED,
        actor=actor,
        summary="Change requested: " + ", ".join(Party._meta.get_field(f).verbose_name for f in changed),
    )
    notifications.party_change_to_decide(change=change)  # SECAS staff, after commit
    return change


def _lock_pending_change(change: PartyChangeRequest) -> PartyChangeRequest:
    change = PartyChangeRequest.objects.select_for_update().select_related("party", "requested_by").get(pk=change.pk)
    if change.status != PartyChangeRequest.Status.PENDING:
        raise ApplicationError(f"This request was already {change.get_status_display().lower()}; nothing changed.")
    return change


def _decide_change(change: PartyChangeRequest, *, actor: User, status: str, note: str) -> PartyChangeRequest:
    change.status = status
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    outbox_enqueue(
        recipient=change.requested_by.email,
        kind=f"party_change.{status}",
        template_prefix="emails/parties/party_change_decided",
        context={"change": change},
        subject_obj=change,
        user=change.requested_by,
    )
    return change


@transaction.atomic
def party_change_request_approve(*, actor: User, change: PartyChangeRequest, note: str = "") -> PartyChangeRequest:
    if not can_decide_party_change(actor):
        raise ApplicationError("Only SECAS staff can approve changes to a Party's details.")
    change = _lock_pending_change(change)
    party = Party.objects.select_for_update().get(pk=change.party_id)
    changes = _apply_details(party, change.proposed)
    party.save()
    _event(
        party,
        kind=PartyEvent.Kind.CHANGE_APPROVED,
        actor=actor,
        summary=f"Change requested by {change.requested_by} approved",
        changes=changes,
    )
    return _decide_change(change, actor=actor, status=PartyChangeRequest.Status.APPROVED, note=note.strip())


@transaction.atomic
def party_change_request_reject(*, actor: User, change: PartyChangeRequest, note: str) -> PartyChangeRequest:
    if not can_decide_party_change(actor):
        raise ApplicationError("Only SECAS staff can reject changes to a Party's details.")
    note = note.strip()
    if not note:
        raise ApplicationError("Give the reason for rejecting; it is sent to the person who asked.")
    change = _lock_pending_change(change)
    _event(
        change.party,
        kind=PartyEvent.Kind.CHANGE_REJECTED,
        actor=actor,
        summary=f"Change requested by {change.requested_by} rejected: {note}"[:500],
    )
    return _decide_change(change, actor=actor, status=PartyChangeRequest.Status.REJECTED, note=note)
