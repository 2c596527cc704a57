"""The Django admin is no way round the portal: only superusers change what gives access
(the staff and superuser flags, roles, passwords, the email a reset goes to), and superusers."""

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from parties import roles
from parties.models import User
from parties.services import party_admin_promote, user_set_roles
from parties.tests.factories import PASSWORD, make_party, make_user
from secportal.exceptions import ApplicationError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_mfa")]

NEW_PASSWORD = "another-horse-battery-2026"


@pytest.fixture
def person():
    return make_user(email="kim@example.org", party=make_party())


def change_data(user: User, **changes) -> dict:
    """The user's change form as the admin posts it (every field it shows), with some changes."""
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "party": user.party_id or "",
        "date_joined_0": "01/01/2026",
        "date_joined_1": "00:00:00",
        "groups": [g.pk for g in user.groups.all()],
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def password_data() -> dict:
    return {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}


def still_has_old_password(user: User) -> bool:
    user.refresh_from_db()
    return user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)


def test_staff_cannot_set_a_superusers_password_or_anyone_elses(client, secas_staff, superuser, person):
    client.force_login(secas_staff)
    for target in (superuser, person):
        url = reverse("admin:auth_user_password_change", args=[target.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, password_data()).status_code == 403
        assert still_has_old_password(target)
    # And the change page offers no way there.
    page = client.get(reverse("admin:parties_user_change", args=[person.pk])).content.decode()
    assert "../password/" not in page and 'name="password"' not in page


def test_staff_cannot_edit_or_delete_a_superuser(client, secas_staff, superuser):
    EmailAddress.objects.filter(user=superuser).delete()  # nothing else of theirs to refuse the deletion
    client.force_login(secas_staff)
    url = reverse("admin:parties_user_change", args=[superuser.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # shown, not editable
    response = client.post(url, change_data(superuser, full_name="Taken Over", is_active=None))
    assert response.status_code == 403
    assert client.post(reverse("admin:parties_user_delete", args=[superuser.pk]), {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:parties_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.full_name != "Taken Over"
    assert User.objects.filter(pk=superuser.pk).exists()


def test_staff_cannot_delete_another_staff_member(client, secas_staff):
    colleague = make_user(email="colleague@secas.example", role_names={roles.SECAS_STAFF})
    EmailAddress.objects.filter(user=colleague).delete()  # nothing else of theirs to refuse the deletion
    client.force_login(secas_staff)
    assert client.post(reverse("admin:parties_user_delete", args=[colleague.pk]), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=colleague.pk).exists()


def test_staff_cannot_give_access_through_the_user_form(client, secas_staff, person):
    other_party = make_party(name="Other Energy Ltd")
    client.force_login(secas_staff)
    staff_group = Group.objects.get(name=roles.SECAS_STAFF)
    url = reverse("admin:parties_user_change", args=[person.pk])
    page = client.get(url).content.decode()
    for field in ("is_superuser", "is_staff", "groups", "email", "party"):
        assert f'name="{field}"' not in page, field
    response = client.post(
        url,
        change_data(
            person,
            full_name="Kim Lee",
            email="staff@attacker.example",  # a reset link would then come to the attacker
            is_staff="on",
            is_superuser="on",
            groups=[staff_group.pk],
            party=other_party.pk,  # its AMBER material and its responses
        ),
    )
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.full_name == "Kim Lee"  # what staff may change, changed
    assert (person.email, person.is_staff, person.is_superuser) == ("kim@example.org", False, False)
    assert person.party_id != other_party.pk
    assert roles.SECAS_STAFF not in person.role_names


def test_staff_cannot_add_people_with_a_password_they_know(client, secas_staff):
    client.force_login(secas_staff)
    url = reverse("admin:parties_user_add")
    assert client.get(url).status_code == 403
    client.post(
        url, {"email": "new@example.org", "full_name": "New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert not User.objects.filter(email="new@example.org").exists()


def test_groups_and_their_permissions_are_for_superusers_only(client, secas_staff):
    """Even a staff member given the Group permissions directly cannot change a role's rights."""
    secas_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="auth", codename__endswith="_group")
    )
    secas_staff = User.objects.get(pk=secas_staff.pk)
    assert secas_staff.has_perm("auth.change_group")
    client.force_login(secas_staff)
    group = Group.objects.get(name=roles.PARTY_USER)
    everything = list(Permission.objects.values_list("pk", flat=True))
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": group.name, "permissions": everything}).status_code == 403
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    assert group.permissions.count() < len(everything)


def test_a_superuser_does_each_of_these(client, superuser, person):
    other_root = make_user(email="other-root@secas.example", role_names=set(), is_superuser=True, is_staff=True)
    client.force_login(superuser)
    # Set another superuser's password.
    url = reverse("admin:auth_user_password_change", args=[other_root.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, password_data()).status_code == 302
    other_root.refresh_from_db()
    assert other_root.check_password(NEW_PASSWORD)
    # Give someone the flags and the SECAS staff role.
    staff_group = Group.objects.get(name=roles.SECAS_STAFF)
    response = client.post(
        reverse("admin:parties_user_change", args=[person.pk]),
        change_data(person, is_staff="on", is_superuser="on", groups=[staff_group.pk]),
    )
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.is_staff and person.is_superuser and roles.SECAS_STAFF in person.role_names
    # Change a role's permissions.
    group = Group.objects.get(name=roles.PARTY_USER)
    permission = Permission.objects.get(codename="view_party")
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]), {"name": group.name, "permissions": [permission.pk]}
    )
    assert response.status_code == 302
    assert list(group.permissions.all()) == [permission]
    # Edit and delete a superuser.
    response = client.post(
        reverse("admin:parties_user_change", args=[other_root.pk]), change_data(other_root, full_name="Root Two")
    )
    assert response.status_code == 302 and User.objects.get(pk=other_root.pk).full_name == "Root Two"
    assert client.post(reverse("admin:parties_user_delete", args=[other_root.pk]), {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=other_root.pk).exists()


def test_only_a_superuser_gives_or_takes_away_the_staff_role(secas_staff, superuser, person):
    with pytest.raises(ApplicationError, match="Only a superuser"):
        user_set_roles(actor=secas_staff, user=person, role_names={roles.SECAS_STAFF, roles.PARTY_USER})
    person = User.objects.get(pk=person.pk)
    assert not person.is_staff and roles.SECAS_STAFF not in person.role_names
    colleague = make_user(email="colleague@secas.example", role_names={roles.SECAS_STAFF})
    with pytest.raises(ApplicationError, match="Only a superuser"):
        user_set_roles(actor=secas_staff, user=colleague, role_names={roles.PARTY_USER})
    assert User.objects.get(pk=colleague.pk).is_staff
    # A superuser does both.
    user_set_roles(actor=superuser, user=person, role_names={roles.SECAS_STAFF, roles.PARTY_USER})
    assert User.objects.get(pk=person.pk).is_staff
    user_set_roles(actor=superuser, user=colleague, role_names={roles.PARTY_USER})
    assert not User.objects.get(pk=colleague.pk).is_staff
    # Other roles change as before, and a staff member's role stays when another is added.
    party = make_party()
    staff_of_party = make_user(
        email="both@secas.example", party=party, role_names={roles.SECAS_STAFF, roles.PARTY_USER}
    )
    party_admin_promote(actor=secas_staff, user=staff_of_party)
    assert User.objects.get(pk=staff_of_party.pk).role_names == {
        roles.SECAS_STAFF,
        roles.PARTY_USER,
        roles.PARTY_ADMINISTRATOR,
    }


@pytest.mark.parametrize("who", ["secas_staff", "superuser"])
def test_every_list_and_add_page_of_the_admin_answers(client, who, request):
    """None of the rules above breaks a page: each answers 200 (or 403 where adding is refused)."""
    client.force_login(request.getfixturevalue(who))
    registered = [m for m in apps.get_models() if admin.site.is_registered(m)]
    assert len(registered) > 20
    for model in registered:
        opts = model._meta
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert page.status_code in (200, 403), (opts.label, page.status_code)
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert page.status_code in (200, 403), (opts.label, page.status_code)


def test_a_party_user_is_removed_on_the_portal_not_switched_off_in_the_admin(client, secas_staff, superuser, person):
    """Turning `is_active` off in the admin would skip what removal does (end their sessions, take
    their roles, record it in the Party's history): for a Party's people it is read-only there, for
    superusers too. A superuser still turns off someone with no Party (SECAS staff) in the admin."""
    for who, name in ((secas_staff, "Kim Lee"), (superuser, "Kim Park")):
        client.force_login(who)
        url = reverse("admin:parties_user_change", args=[person.pk])
        assert 'name="is_active"' not in client.get(url).content.decode()
        data = change_data(person, full_name=name)
        del data["is_active"]  # the box unticked, as a browser would send it
        assert client.post(url, data).status_code == 302
        person.refresh_from_db()
        assert person.full_name == name and person.is_active
    staff_member = make_user(email="former@secas.example", role_names={roles.SECAS_STAFF})
    client.force_login(secas_staff)
    assert (
        'name="is_active"'
        not in client.get(reverse("admin:parties_user_change", args=[staff_member.pk])).content.decode()
    )
    client.force_login(superuser)
    url = reverse("admin:parties_user_change", args=[staff_member.pk])
    assert 'name="is_active"' in client.get(url).content.decode()
    data = change_data(staff_member)
    del data["is_active"]
    del data["groups"]  # keeps the form simple: a superuser may change roles too
    assert client.post(url, data).status_code == 302
    staff_member.refresh_from_db()
    assert not staff_member.is_active


def test_no_one_moves_a_person_to_another_party_in_the_admin_or_changes_their_own_access(client, superuser, person):
    """A Party's roles would follow the person to the new Party: moving has no service yet, so the
    admin does not move anyone either. Someone with no Party yet may be given one by a superuser."""
    other = make_party(name="Other Energy Ltd")
    client.force_login(superuser)
    url = reverse("admin:parties_user_change", args=[person.pk])
    assert 'name="party"' not in client.get(url).content.decode()
    assert client.post(url, change_data(person, party=other.pk)).status_code == 302
    person.refresh_from_db()
    assert person.party_id != other.pk
    newcomer = make_user(email="newcomer@secas.example", role_names=set())
    url = reverse("admin:parties_user_change", args=[newcomer.pk])
    assert 'name="party"' in client.get(url).content.decode()
    assert client.post(url, change_data(newcomer, party=other.pk)).status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.party_id == other.pk
    own = client.get(reverse("admin:parties_user_change", args=[superuser.pk])).content.decode()
    for field in ("email", "party", "is_active", "is_staff", "is_superuser", "groups"):
        assert f'name="{field}"' not in own, field
