"""A person's permissions are read with their roles in one query (parties.models.User), and answer
exactly what Django's own ModelBackend answers from the same rows."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parties import roles
from parties.models import User
from parties.tests.factories import make_user

pytestmark = pytest.mark.django_db

ASKED = [
    "modifications.move_modification",
    "parties.manage_party_users",
    "parties.request_party_change",
    "panel.change_meeting",
    "news.change_newspost",
    "auth.change_group",  # no role holds it
    "nonsense.permission",
]
MODULES = ["modifications", "parties", "panel", "auth", "admin"]


def _people() -> dict[str, User]:
    people = {
        "party user": make_user(email="user@p.example"),
        "party administrator": make_user(
            email="admin@p.example", role_names={roles.PARTY_USER, roles.PARTY_ADMINISTRATOR}
        ),
        "SECAS staff": make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF}),
        "superuser": make_user(email="root@secas.example", role_names=set(), is_superuser=True),
        "no role": make_user(email="none@p.example", role_names=set()),
        "removed staff": make_user(email="gone@secas.example", role_names={roles.SECAS_STAFF}, is_active=False),
    }
    given = make_user(email="given@p.example")  # a permission given to the person, not a role
    given.user_permissions.add(Permission.objects.get(codename="change_meeting"))
    people["permission given directly"] = given
    return people


def test_permissions_answer_what_djangos_model_backend_answers():
    backend = ModelBackend()
    for who, person in _people().items():
        # Fresh objects: nothing kept from setting them up, nothing shared with Django's own cache.
        fresh, same = User.objects.get(pk=person.pk), User.objects.get(pk=person.pk)
        superuser = fresh.is_active and fresh.is_superuser  # Django's rule before any backend
        for perm in ASKED:
            assert fresh.has_perm(perm) is (superuser or backend.has_perm(same, perm)), (who, perm)
            assert fresh.has_perm(perm, obj=fresh) is superuser, (who, perm)
        for app_label in MODULES:
            assert fresh.has_module_perms(app_label) is (superuser or backend.has_module_perms(same, app_label)), (
                who,
                app_label,
            )


def test_roles_and_every_permission_cost_one_query_per_request():
    staff = User.objects.get(email=make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF}).email)
    with CaptureQueriesContext(connection) as queries:
        assert staff.is_secas_staff
        assert staff.has_perm("modifications.move_modification") and staff.has_perm("panel.change_meeting")
        assert not staff.has_perm("auth.change_group")
    assert len(queries) == 1


def test_a_role_taken_away_takes_its_permissions_with_it():
    from parties.services import user_set_roles

    staff = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    root = make_user(email="root@secas.example", role_names=set(), is_superuser=True)
    assert staff.has_perm("modifications.move_modification")
    user_set_roles(actor=root, user=staff, role_names={roles.PARTY_USER})
    assert not staff.has_perm("modifications.move_modification") and staff.role_names == {roles.PARTY_USER}
    assert not User.objects.get(pk=staff.pk).has_perm("modifications.move_modification")
