"""Authentication backends: Django's and allauth's, taking the signed-in user read with the session
(`secportal.sessions`) instead of reading it again, or reading it without compiling a query
(`secportal.fastrows`). Everything else is theirs: how people sign in, who may
(`user_can_authenticate`), and permissions."""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import router

from .fastrows import RowReader
from .sessions import user_read_with_session


@functools.cache
def _reader(model) -> RowReader:
    return RowReader(model, ["pk"])


class FastGetUser:
    def get_user(self, user_id):
        user = user_read_with_session(user_id)
        if user is None:
            model = get_user_model()
            user = _reader(model).get(user_id, using=router.db_for_read(model))
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(FastGetUser, DjangoModelBackend):
    pass


class AuthenticationBackend(FastGetUser, AllauthBackend):
    pass
