"""Who may do what with modifications: pure functions of the user (and object)."""

from parties.models import Party


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
