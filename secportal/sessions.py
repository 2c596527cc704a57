"""The session store: Django's database sessions, with the signed-in person read in the same
statement.

Every signed-in request reads its session and then its user. Here the session's row (the
`secportal.Session` model, which keeps the person's id in a column of its own) is read joined to
the user's (with what every request asks of them: `User.read_with_session`), through a statement
built once and prepared once per connection (`secportal.fastrows`), and the user read with it is
handed to the authentication backend (`user_read_with_session`). The read also serves as the
connection's health check (CONN_HEALTH_CHECKS), so a signed-in page costs one round trip to the
database before its own queries. Sessions are otherwise Django's own: written, cycled, flushed
and expired exactly as there, and signed in only as Django decides (the backend still checks the
account may sign in, and Django the session's hash).
"""

from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.db import InterfaceError, OperationalError, connections, router
from django.utils import timezone

from .fastrows import RowReader

# The user read with this request's session, until the backend takes it (once).
_read_with_session: ContextVar = ContextVar("secportal_user_read_with_session", default=None)


def user_read_with_session(user_id):
    """The user read with the session just loaded, if it is the one asked for (taken once)."""
    user = _read_with_session.get()
    if user is None:
        return None
    _read_with_session.set(None)
    return user if user.pk == user_id else None


class SessionStore(db.SessionStore):
    _reader: RowReader | None = None

    def __init__(self, session_key=None):
        super().__init__(session_key)
        _read_with_session.set(None)  # a new request: nothing read yet

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    @classmethod
    def _row_reader(cls) -> RowReader:
        if cls._reader is None:
            cls._reader = RowReader(
                cls.get_model_class(), ["session_key", "expire_date__gt"], ["session_data"], join="user"
            )
        return cls._reader

    def load(self) -> dict:
        using = router.db_for_read(self.model)
        connection = connections[using]
        if (
            connection.connection is None
            or not connection.health_check_enabled
            or connection.health_check_done
            or connection.in_atomic_block
        ):
            return self._read(using)
        # With CONN_HEALTH_CHECKS Django sends `SELECT 1` on a reused connection before a request's
        # first query (`health_check_done`, in Django 6.1's db/backends/base/base.py). The session's
        # read is nearly always that first query, so it is the check: a connection the server has
        # closed fails it, and the read is made again on a new one.
        connection.health_check_done = True
        try:
            return self._read(using)
        except (InterfaceError, OperationalError):
            if connection.is_usable():
                raise  # the connection is fine: a real error, not a closed connection
            connection.close()
            return self._read(using)

    def _read(self, using: str) -> dict:
        found = self._row_reader().get(self.session_key, timezone.now(), using=using)
        if found is None:
            self._session_key = None  # as Django's: an unknown or expired key starts afresh
            return {}
        (data,), user = found
        _read_with_session.set(user)
        return self.decode(data)

    @classmethod
    def clear_expired(cls) -> int:
        """Delete expired sessions (as Django's store does); how many there were."""
        deleted, _ = cls.get_model_class().objects.filter(expire_date__lt=timezone.now()).delete()
        return deleted

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = _signed_in_id(data)
        return session

    async def acreate_model_instance(self, data):
        session = await super().acreate_model_instance(data)
        session.user_id = _signed_in_id(data)
        return session


def _signed_in_id(data: dict):
    """The id of the person the session's data signs in, or None."""
    user_id = data.get(SESSION_KEY)
    return get_user_model()._meta.pk.to_python(user_id) if user_id is not None else None
