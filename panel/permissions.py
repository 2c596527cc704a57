"""Who may do what in `panel`: pure functions of the user (and object)."""


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_manage_panel(user) -> bool:
    """SECAS staff run committees: members, meetings, papers, decisions, minutes."""
    return _active(user) and user.has_perm("panel.change_meeting")


def can_update_action(user, action) -> bool:
    return _active(user) and (can_manage_panel(user) or action.owner_id == user.pk)
