import functools
from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

from secportal.classification import needs_second_factor
from secportal.sql import quoted

from . import roles
from .validators import validate_person_name

# Paths under /parties/ that are pages, never a Party's slug.
RESERVED_SLUGS = frozenset({"account-requests", "change-requests", "invitations", "new", "export", "feed"})


class VotingGroup(models.Model):
    """Large Suppliers that are affiliates vote as one group."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Party(models.Model):
    """A signatory of the Smart Energy Code."""

    class Category(models.TextChoices):
        LARGE_SUPPLIER = "large_supplier", "Large Supplier"
        SMALL_SUPPLIER = "small_supplier", "Small Supplier"
        ELECTRICITY_NETWORK = "electricity_network", "Electricity Network Party"
        GAS_NETWORK = "gas_network", "Gas Network Party"
        OTHER = "other", "Other SEC Party"
        DCC = "dcc", "DCC"

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        AGREEMENT_SENT = "agreement_sent", "Agreement sent"
        ACCEDED = "acceded", "Acceded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Accession steps, in order; a Party may withdraw from any of them.
    TRANSITIONS = {
        Status.APPLIED: {Status.AGREEMENT_SENT, Status.WITHDRAWN},
        Status.AGREEMENT_SENT: {Status.ACCEDED, Status.WITHDRAWN},
        Status.ACCEDED: {Status.WITHDRAWN},
        Status.WITHDRAWN: set(),
    }
    # The date field each status records.
    STATUS_DATE_FIELDS = {
        Status.APPLIED: "applied_on",
        Status.AGREEMENT_SENT: "agreement_sent_on",
        Status.ACCEDED: "acceded_on",
        Status.WITHDRAWN: "withdrawn_on",
    }
    # Details a Party administrator may ask to change (SECAS approves).
    DETAIL_FIELDS = ("name", "contact_name", "contact_email", "contact_phone", "address", "website", "licences")

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    party_signifier = models.CharField(max_length=20, blank=True)
    voting_group = models.ForeignKey(
        VotingGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="parties"
    )
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    website = models.URLField(blank=True)
    licences = models.TextField(blank=True, help_text="One licence per line, e.g. Electricity Supply Licence.")
    applied_on = models.DateField(null=True, blank=True)
    agreement_sent_on = models.DateField(null=True, blank=True)
    acceded_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        permissions = [("request_party_change", "Can request changes to their Party's details")]
        indexes = [models.Index(fields=["category", "status"], name="party_category_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def status_date(self):
        return getattr(self, self.STATUS_DATE_FIELDS[self.status])

    @property
    def licence_list(self) -> list[str]:
        return [line.strip() for line in self.licences.splitlines() if line.strip()]


class PartySlug(models.Model):
    """A slug a Party once had: its old URLs redirect to the current one."""

    slug = models.SlugField(max_length=200, unique=True)
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a portal account: a Party user, committee member or SECAS staff."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, validators=[validate_person_name])
    job_title = models.CharField(max_length=150, blank=True)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    is_staff = models.BooleanField("Django admin access", default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Changes whenever a second factor is added or removed: part of the session hash, so every
    # other session of the account ends and must sign in again (with the new factor).

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]
        permissions = [("manage_party_users", "Can invite and remove users of their own Party")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def roles_and_permissions(self) -> tuple[frozenset[str], frozenset[str]]:
        """The person's roles (Group names) and every permission they hold ("app_label.codename",
        from their roles or given to them directly), in one query kept for the request. Every
        signed-in request needs the roles (the MFA rule) and most pages ask a permission (to show
        staff controls); Django's ModelBackend would read the permissions in two more queries.

        The statement is written once per process from the models' metadata (`_roles_sql`): built
        by the ORM on each request (a UNION over seven tables) it cost ~2.5 ms of Python to compile,
        for an answer PostgreSQL gives in well under a millisecond."""
        with connection.cursor() as cursor:
            cursor.execute(_roles_sql(), [self.pk, self.pk])
            rows = cursor.fetchall()
        names = frozenset(name for name, _, _ in rows if name)
        return names, frozenset(f"{app_label}.{codename}" for _, app_label, codename in rows if codename)

    @cached_property
    def role_names(self) -> frozenset[str]:
        return self.roles_and_permissions[0]

    def has_perm(self, perm: str, obj=None) -> bool:
        """Django's answer (an active superuser holds every permission; otherwise what the person's
        roles and own permissions give, nothing for one object), read from `roles_and_permissions`:
        the portal's only authentication backends are Django's ModelBackend and allauth's, which
        answer from the same rows. secportal/tests/test_permissions.py holds the two to each other."""
        if obj is not None or not self.is_active or self.is_superuser:
            return super().has_perm(perm, obj)
        return perm in self.roles_and_permissions[1]

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active or self.is_superuser:
            return super().has_module_perms(app_label)
        return any(perm.startswith(f"{app_label}.") for perm in self.roles_and_permissions[1])

    @property
    def is_secas_staff(self) -> bool:
        return roles.SECAS_STAFF in self.role_names

    @property
    def is_party_administrator(self) -> bool:
        return roles.PARTY_ADMINISTRATOR in self.role_names

    @property
    def requires_mfa(self) -> bool:
        """Whoever can reach AMBER or RED material beyond their own Party's must use TOTP (when
        SECPORTAL_REQUIRE_MFA is on), whatever gives them the access: superusers, admin access,
        the SECAS staff role, a current place on any committee (chair, member, alternate or
        observer: panel.permissions), being named as a RED recipient of anything, or belonging to
        a Party that owns AMBER material. Asked afresh on every request: beyond the roles, two small
        queries for someone who is not staff (secportal.classification.needs_second_factor), so a
        place, a RED document or the Party's AMBER material counts from the moment it exists."""
        if self.is_superuser or self.is_staff or self.role_names & roles.PRIVILEGED_ROLES:
            return True
        return needs_second_factor(self)

    @cached_property
    def has_totp(self) -> bool:
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(user=self, type=Authenticator.Type.TOTP).exists()

    @cached_property
    def unread_notifications(self) -> int:
        """How many notifications they have not read (the count the navigation shows)."""
        from secportal.notifications import unread_count

        return unread_count(user=self)


class AccountRequest(models.Model):
    """A person asks for an account for their Party; SECAS staff approve or decline it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting decision"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    full_name = models.CharField(max_length=150, validators=[validate_person_name])
    email = models.EmailField(max_length=254)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="account_requests")
    job_title = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="account_requests_decided"
    )
    decision_note = models.TextField(blank=True)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_request")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("decide_accountrequest", "Can approve or decline account requests")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(status="pending"),
                name="account_request_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}> for {self.party}"


class PartyEvent(models.Model):
    """One line of a Party's history: who did what, when (every staff and administrator action)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Party recorded"
        UPDATED = "updated", "Details edited"
        STATUS_CHANGED = "status_changed", "Accession step"
        USER_INVITED = "user_invited", "Colleague invited"
        INVITATION_REVOKED = "invitation_revoked", "Invitation withdrawn"
        USER_JOINED = "user_joined", "User joined"
        USER_REMOVED = "user_removed", "User removed"
        USER_REINSTATED = "user_reinstated", "User reinstated"
        ADMIN_PROMOTED = "admin_promoted", "Administrator added"
        ADMIN_DEMOTED = "admin_demoted", "Administrator role removed"
        CHANGE_REQUESTED = "change_requested", "Change of details requested"
        CHANGE_APPROVED = "change_approved", "Change of details approved"
        CHANGE_REJECTED = "change_rejected", "Change of details rejected"

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="party_events")
    # The person a removal or reinstatement is about: a reinstatement reads their last removal.
    person = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.CharField(max_length=500)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.party}: {self.summary}"


class Invitation(models.Model):
    """A Party administrator invites a colleague; accepting creates an approved account."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    # Only the SHA-256 of the token is stored; the token itself travels in the email.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "party",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_party_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.party}"

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"


class PartyChangeRequest(models.Model):
    """A Party administrator asks to change the Party's details; SECAS approves or rejects."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting decision"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="change_requests")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="party_change_requests")
    proposed = models.JSONField(help_text="Field name to proposed value, for the fields that change.")
    previous = models.JSONField(default=dict, help_text="The values when the request was made.")
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="party_change_decisions"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("decide_partychangerequest", "Can approve or reject changes to a Party's details")]

    def __str__(self) -> str:
        return f"Change to {self.party} ({self.get_status_display()})"

    def proposed_rows(self) -> list[dict]:
        labels = {f.name: f.verbose_name for f in Party._meta.get_fields() if hasattr(f, "verbose_name")}
        return [
            {
                "field": name,
                "label": str(labels.get(name, name)).capitalize(),
                "old": self.previous.get(name, ""),
                "new": value,
            }
            for name, value in self.proposed.items()
        ]


@functools.cache
def _roles_sql() -> str:
    """The person's roles with their permissions, and their own permissions, as (role or "",
    app_label, codename) rows (parameters: the person's id, twice). Names only (secportal.sql)."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    in_group, ig_user, ig_group = quoted(User.groups.through, "user", "group")
    group, group_pk, group_name = quoted(Group, "id", "name")
    group_permission, gp_group, gp_permission = quoted(Group.permissions.through, "group", "permission")
    own, own_user, own_permission = quoted(User.user_permissions.through, "user", "permission")
    permission, permission_pk, codename, permission_type = quoted(Permission, "id", "codename", "content_type")
    content_type, type_pk, app_label = quoted(ContentType, "id", "app_label")

    def named(alias: str, permission_id: str) -> str:
        """The permission `alias`.`permission_id` points at, and its content type."""
        return (
            f"LEFT JOIN {permission} p_{alias} ON p_{alias}.{permission_pk} = {alias}.{permission_id} "
            f"LEFT JOIN {content_type} ct_{alias} ON ct_{alias}.{type_pk} = p_{alias}.{permission_type} "
        )

    return (
        f"SELECT g.{group_name}, ct_gp.{app_label}, p_gp.{codename} FROM {in_group} ug "  # noqa: S608
        f"JOIN {group} g ON g.{group_pk} = ug.{ig_group} "
        f"LEFT JOIN {group_permission} gp ON gp.{gp_group} = g.{group_pk} {named('gp', gp_permission)}"
        f"WHERE ug.{ig_user} = %s "
        f"UNION ALL SELECT '', ct_up.{app_label}, p_up.{codename} FROM {own} up {named('up', own_permission)}"
        f"WHERE up.{own_user} = %s"
    )
