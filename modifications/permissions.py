"""Who may do what with modifications: pure functions of the user (and object)."""

from parties.models import Party
from secportal.classification import committee_access


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_move_modification(user) -> bool:
    """SECAS staff run the lifecycle."""
    return _active(user) and user.has_perm("modifications.move_modification")


def can_upload_document(user) -> bool:
    return _active(user) and user.has_perm("modifications.add_modificationdocument")


def can_raise_draft(user) -> bool:
    """Any user of a Party that has acceded (or SECAS staff) may raise a Draft Proposal."""
    if not _active(user):
        return False
    if can_move_modification(user):
        return True
    party = getattr(user, "party", None)
    return party is not None and party.status == Party.Status.ACCEDED


def can_withdraw_modification(user, modification) -> bool:
    """The proposer (or SECAS) may withdraw before a decision."""
    if not _active(user):
        return False
    return can_move_modification(user) or (modification.proposer_id is not None and modification.proposer_id == user.pk)


def can_follow(user) -> bool:
    return _active(user)


# --- Consultation responses ---------------------------------------------------------------------------------
# Until the close, a Party's users see only their own Party's response and SECAS sees all. After the
# close, the current Panel and Change Board (chairs, members, alternates of current members; never
# observers) read every response, confidential ones included. Everybody else reads the ones not
# marked confidential once SECAS publishes them. Every surface asks these: the consultation's page,
# its CSV, and anything that would show or send a response's content.


def _is_secas(user) -> bool:
    return _active(user) and user.has_perm("modifications.change_consultation")


def can_read_all_responses(user, consultation, *, now=None) -> bool:
    """Every response, confidential ones included."""
    if _is_secas(user):
        return True
    return consultation.is_closed(now) and committee_access(user).panel_or_change_board


def can_list_responses(user, consultation, *, now=None) -> bool:
    """May see the responses of the Parties (the table on the page, the summary, the CSV)."""
    return consultation.published_at is not None or can_read_all_responses(user, consultation, now=now)


def can_read_response(user, consultation, *, party_id: int, confidential: bool, now=None) -> bool:
    """One Party's response (as sent: `confidential` is the version's own flag)."""
    if can_read_all_responses(user, consultation, now=now):
        return True
    if _active(user) and user.party_id is not None and user.party_id == party_id:
        return True  # their own Party's
    return consultation.published_at is not None and not confidential


def can_download_release_document(user, release) -> bool:
    """A release's implementation document is published with the release: anyone may read it,
    once there is one (asked by the release page and the download view alike)."""
    return bool(release.document)
