"""Sessions: Django's database sessions, with the signed-in person's id in a column of its own.

This is the extension Django's documentation describes for the database-backed engine (a model
built on `AbstractBaseSession`, returned by `get_model_class`, and `create_model_instance` filling
the extra column). The column lets the portal end a person's sessions: when they are removed, and
when their second factor changes (every session but the one that made the change).
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = signed_in_id(data)
        return session

    async def acreate_model_instance(self, data):
        session = await super().acreate_model_instance(data)
        session.user_id = signed_in_id(data)
        return session


def signed_in_id(data: dict) -> int | None:
    """The id of the person the session's data signs in, or None."""
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


def sessions_end(*, user_id: int, keep: str | None = None) -> int:
    """End every session of a person (but `keep`, the session key that asked); how many ended."""
    from .models import Session

    sessions = Session.objects.filter(user_id=user_id)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    deleted, _ = sessions.delete()
    return deleted
