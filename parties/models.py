from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from . import roles


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

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACCEDED)
    party_signifier = models.CharField(max_length=20, blank=True)
    acceded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        permissions = [("request_party_change", "Can request changes to their Party's details")]

    def __str__(self) -> str:
        return self.name


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
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    is_staff = models.BooleanField("Django admin access", default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

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
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def is_secas_staff(self) -> bool:
        return roles.SECAS_STAFF in self.role_names

    @property
    def is_party_administrator(self) -> bool:
        return roles.PARTY_ADMINISTRATOR in self.role_names

    @property
    def requires_mfa(self) -> bool:
        """Privileged roles (SECAS staff, Panel and committee members) must use TOTP."""
        return self.is_superuser or bool(self.role_names & roles.PRIVILEGED_ROLES)


class AccountRequest(models.Model):
    """A person asks for an account for their Party; SECAS staff approve or decline it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting decision"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    full_name = models.CharField(max_length=150)
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
