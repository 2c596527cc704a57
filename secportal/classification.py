"""Information classification (Panel Information Policy, Traffic Light Protocol), enforced here.

Every document, paper and consultation response carries one label; `Classified` gives a model
the fields and `ClassifiedQuerySet.visible_to(user)` the one rule every surface uses (pages,
downloads, search, feeds, calendars, emails). `can_view(user, obj)` is the same rule for one
object already in hand.

| label | who may open it |
| WHITE | everyone, anonymous visitors included |
| GREEN | any signed-in, approved user (Party users, committee members, SECAS staff) |
| AMBER | members of the owning committee, users of the named Party, SECAS staff |
| RED   | named recipients only, and SECAS staff who administer them |
"""

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q


class Classification(models.TextChoices):
    WHITE = "white", "WHITE: public"
    GREEN = "green", "GREEN: signed-in users"
    AMBER = "amber", "AMBER: committee, Party and SECAS"
    RED = "red", "RED: named recipients"


# The committees a user sits on (slugs). The panel app registers the real lookup in ready();
# until then no one is a committee member.
_committee_lookup: list[Callable[[object], set[str]]] = []


def register_committee_lookup(lookup: Callable[[object], set[str]]) -> None:
    _committee_lookup[:] = [lookup]


def committee_slugs_for(user) -> set[str]:
    if not _committee_lookup or not _active(user):
        return set()
    return set(_committee_lookup[0](user))


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
