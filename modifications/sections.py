"""What `modifications` contributes to the shared pages (dashboard, home page, a Party's page)."""

from .models import ModificationProposal, Stage
from .permissions import can_move_modification
from .selectors import (
    filter_follows,
    followed_modifications,
)
from .selectors import (
    party_consultations as consultations_for,
)
from .selectors import (
    party_drafts as drafts_of,
)
from .selectors import (
    party_modifications as of_party,
)

HOME_LIMIT = 6
PARTY_LIMIT = 20


def followed(request, **objects) -> dict:
    user = request.user
    return {"modifications": list(followed_modifications(user=user)), "filters": list(filter_follows(user=user))}


def party_drafts(request, **objects) -> dict | None:
    party = request.user.party
    if party is None:
        return None
    return {"party": party, "modifications": list(drafts_of(party=party).select_related("proposer"))}


def drafts_to_review(request, **objects) -> dict | None:
    """For SECAS: Draft Proposals awaiting the critical-friend review, soonest due first."""
    if not can_move_modification(request.user):
        return None
    drafts = ModificationProposal.objects.filter(stage=Stage.DRAFT).select_related("proposer_party")
    return {"modifications": list(drafts.order_by("next_milestone_date", "number"))}


def party_consultations(request, **objects) -> dict | None:
    party = request.user.party
    if party is None:
        return None
    return {"party": party, **consultations_for(party=party)}


def in_progress(request, **objects) -> dict:
    modifications = ModificationProposal.objects.open().select_related("target_release").order_by("-updated_at")
    return {
        "modifications": list(modifications[:HOME_LIMIT]),
        "open_count": ModificationProposal.objects.open().count(),
    }


def party_modifications(request, party, **objects) -> dict:
    modifications = of_party(party=party)
    return {"party": party, "modifications": list(modifications[:PARTY_LIMIT]), "count": modifications.count()}
