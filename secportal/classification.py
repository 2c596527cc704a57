"""Information classification (Panel Information Policy, Traffic Light Protocol), enforced here.

Every document, paper and consultation response carries one label; `Classified` gives a model
the fields and `ClassifiedQuerySet.visible_to(user)` the one rule every surface uses (pages,
downloads, search, feeds, calendars, emails). `can_view(user, obj)` is the same rule for one
object already in hand.

| label | who may open it |
| WHITE | everyone, anonymous visitors included |
| GREEN | any signed-in, approved user (Party users, committee members, SECAS staff) |
| AMBER | the owning committee's chair, members and alternates (of a current member; never its
|       | observers), as of today (panel.permissions), users of the named Party, SECAS staff |
| RED   | named recipients only, and SECAS staff who administer them |

`needs_second_factor(user)` is the part of the MFA rule (parties.User.requires_mfa) that does not
come from a role given directly: a current committee place, being named as a RED recipient, or
belonging to a Party that owns AMBER material.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q

from .sql import quoted


class Classification(models.TextChoices):
    WHITE = "white", "WHITE: public"
    GREEN = "green", "GREEN: signed-in users"
    AMBER = "amber", "AMBER: committee, Party and SECAS"
    RED = "red", "RED: named recipients"


class CommitteeAccess(Protocol):
    """What a person's current committee memberships give them, as the panel app computes it
    (panel.permissions.committee_rights): the lower apps ask through here, never import `panel`."""

    @property
    def amber_committees(self) -> frozenset[str]: ...  # slugs whose AMBER material they may open

    @property
    def panel_or_change_board(self) -> bool: ...  # chair, member or alternate of either (not observer)

    @property
    def memberships(self) -> tuple[str, ...]: ...  # their current places, in words


@dataclass(frozen=True)
class NoCommitteeAccess:
    amber_committees: frozenset[str] = frozenset()
    panel_or_change_board: bool = False
    memberships: tuple[str, ...] = ()


NO_COMMITTEE_ACCESS = NoCommitteeAccess()


@dataclass(frozen=True)
class CommitteeLookup:
    # The person's rights from their current memberships (kept for the request by the panel app).
    access: Callable[[object], CommitteeAccess]
    # Whether the person has a current place, observers included: it obliges them to use a second
    # factor.
    has_place: Callable[[object], bool]


# The panel app registers the real lookup in ready(); until then no one sits on a committee.
_committee_lookup: list[CommitteeLookup] = []


def register_committee_lookup(lookup: CommitteeLookup) -> None:
    _committee_lookup[:] = [lookup]


def committee_access(user) -> CommitteeAccess:
    if not _committee_lookup or not _active(user):
        return NO_COMMITTEE_ACCESS
    return _committee_lookup[0].access(user)


def committee_slugs_for(user) -> set[str]:
    """The committees whose AMBER material the person may open (slugs)."""
    return set(committee_access(user).amber_committees)


def _classified_models() -> list[type["Classified"]]:
    return [model for model in apps.get_models() if issubclass(model, Classified)]


def needs_second_factor(user) -> bool:
    """Whether anything but a role given directly lets the person reach AMBER or RED material: a
    current place on a committee (observers included), being named as a RED recipient of a
    document, paper, attachment or slide pack, or belonging to a Party that owns AMBER material.

    Asked on every signed-in request (the MFA rule), so it is cheap: the committee part comes from
    the panel app (usually one small query), the rest is one statement over every classified
    model's tables, written once per process."""
    if not _active(user):
        return False
    if _committee_lookup and _committee_lookup[0].has_place(user):
        return True
    sql, models_count = _named_or_party_amber_sql()
    if not models_count:
        return False
    party_id = getattr(user, "party_id", None)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, Classification.AMBER.value, party_id] * models_count)
        return bool(cursor.fetchone()[0])


@functools.cache
def _named_or_party_amber_sql() -> tuple[str, int]:
    """`SELECT EXISTS (... UNION ALL ...)`, two branches for each classified model: a row naming
    the person as a RED recipient (parameter: their id), an AMBER row (parameters: the label and
    their Party's id) owned by their Party. Built from the models' own metadata, so a new
    classified model is covered without a change here; only names are written into it, every value
    is a parameter. (Built with the ORM, its nine `Exists` cost ten times what the database takes
    to answer, on every signed-in request.)"""
    parts = []
    models_ = _classified_models()
    for model in models_:
        through = model._meta.get_field("red_recipients").remote_field.through
        # Only quoted names from the models' metadata go into the text (secportal.sql); values are parameters.
        parts.append("SELECT 1 FROM {} WHERE {} = %s".format(*quoted(through, "user")))  # noqa: S608
        parts.append(
            "SELECT 1 FROM {} WHERE {} = %s AND {} = %s".format(*quoted(model, "classification", "owner_party"))  # noqa: S608
        )
    return f"SELECT EXISTS ({' UNION ALL '.join(parts)})", len(models_)


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _is_staff(user) -> bool:
    return _active(user) and bool(getattr(user, "is_secas_staff", False) or user.is_superuser)


class ClassifiedQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ClassifiedQuerySet":
        if not _active(user):
            return self.filter(classification=Classification.WHITE)
        if _is_staff(user):
            return self
        allowed = Q(classification__in=[Classification.WHITE, Classification.GREEN])
        if getattr(user, "party_id", None):
            allowed |= Q(classification=Classification.AMBER, owner_party_id=user.party_id)
        committees = committee_slugs_for(user)
        if committees:
            allowed |= Q(classification=Classification.AMBER, owner_committee__in=committees)
        through = self.model.red_recipients.through
        source = self.model._meta.model_name
        named = through.objects.filter(**{source: OuterRef("pk")}, user=user)
        allowed |= Q(classification=Classification.RED) & Exists(named)
        return self.filter(allowed)


class Classified(models.Model):
    """Fields every classified object has: its label and who owns it."""

    classification = models.CharField(
        max_length=5, choices=Classification.choices, default=Classification.GREEN, db_index=True
    )
    owner_party = models.ForeignKey(
        "parties.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="AMBER: users of this Party may open it.",
    )
    owner_committee = models.SlugField(
        max_length=100, blank=True, help_text="AMBER: members of this committee (its slug) may open it."
    )
    red_recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", help_text="RED: only these people may open it."
    )

    objects = ClassifiedQuerySet.as_manager()

    class Meta:
        abstract = True


def can_view(user, obj: Classified) -> bool:
    """The same rule as `visible_to`, for one object."""
    label = obj.classification
    if label == Classification.WHITE:
        return True
    if not _active(user):
        return False
    if _is_staff(user) or label == Classification.GREEN:
        return True
    if label == Classification.AMBER:
        if obj.owner_party_id and obj.owner_party_id == getattr(user, "party_id", None):
            return True
        return bool(obj.owner_committee) and obj.owner_committee in committee_slugs_for(user)
    return obj.red_recipients.filter(pk=user.pk).exists()
