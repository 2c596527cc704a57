"""Who may do what with news and events: pure functions of the user (and object)."""


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_publish_news(user) -> bool:
    """SECAS staff write, schedule, publish and withdraw posts."""
    return _active(user) and user.has_perm("news.change_newspost")


def can_manage_events(user) -> bool:
    """SECAS staff create and edit events, see attendees and upload slide packs."""
    return _active(user) and user.has_perm("news.change_event")


def can_register(user) -> bool:
    """A signed-in, approved user of a Party may register for events."""
    return _active(user) and getattr(user, "party_id", None) is not None


def can_cancel_registration(user, registration) -> bool:
    return _active(user) and (registration.user_id == user.pk or can_manage_events(user))


def can_have_calendar(user) -> bool:
    return _active(user)
