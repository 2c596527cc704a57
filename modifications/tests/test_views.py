"""The lifecycle from the pages: who may see and use each step."""

import pytest
from django.urls import reverse

from modifications.models import Consultation, ModificationDocument, ModificationProposal, Path, Route, Stage
from modifications.tests.factories import make_document, make_modification, make_release, make_report_phase_mp
from parties import roles
from parties.models import Party
from parties.tests.factories import give_totp, make_party, make_user
from secportal.workingdays import add_working_days, local_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    user = make_user(role_names={roles.SECAS_STAFF})
    give_totp(user)
    return user


def act(client, mp, action, data=None):
    return client.post(reverse("modifications:modification-action", args=[mp.reference, action]), data or {})


def test_a_party_user_raises_a_draft_from_the_form(client):
    party = make_party(status=Party.Status.ACCEDED)
    client.force_login(make_user(party=party))
    response = client.post(
        reverse("modifications:modification-raise"),
        {"title": "Prepayment retries", "issue": "Top-ups fail.", "impact_small_supplier": "high"},
    )
    mp = ModificationProposal.objects.get()
    assert response.status_code == 302 and response.url == f"/modifications/{mp.reference}/"
    assert mp.impacts == {"small_supplier": "high"}
    follow = client.get(response.url)
    assert "SECAS will review it as critical friend by" in follow.content.decode()


def test_the_raise_form_reports_errors_and_saves_nothing(client):
    client.force_login(make_user(party=make_party(status=Party.Status.ACCEDED)))
    response = client.post(reverse("modifications:modification-raise"), {"title": "", "issue": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ModificationProposal.objects.exists()


def test_staff_take_a_draft_through_to_the_mrc_from_its_page(client, staff):
    dp = make_modification(stage=Stage.DRAFT, number=90)
    client.force_login(staff)
    page = client.get(reverse("modifications:modification-detail", args=["DP090"]))
    assert [a["key"] for a in page.context["actions"]] == [
        "start-development",
        "target-release",
        "post-update",
        "withdraw",
        "close",
    ]
    assert act(client, dp, "start-development", {"note": "Reviewed"}).status_code == 302
    response = act(client, dp, "convert", {"path": "path_3", "route": "report_phase"})
    assert response.status_code == 302 and response.url == "/modifications/MP090/"
    mp = ModificationProposal.objects.get(pk=dp.pk)
    # The form shows the standard questions and the close date before SECAS confirms.
    form = client.get(reverse("modifications:modification-action", args=[mp.reference, "open-mrc"])).context["form"]
    data = {name: form[name].value() for name in ("title", "questions", "closes_on")}
    closes_on = add_working_days(local_today(), 15)
    assert data["closes_on"] == closes_on and data["title"] == "MP090 Modification Report Consultation"
    assert "better facilitates the SEC Objectives" in data["questions"]
    refused = act(client, mp, "open-mrc", data)
    assert refused.status_code == 400 and "Publish the Modification Report on MP090 first" in refused.content.decode()
    make_document(mp, kind=ModificationDocument.Kind.MODIFICATION_REPORT, title="Modification Report")
    data["questions"] += "\n[text] One more question?"
    assert act(client, mp, "open-mrc", data).status_code == 302
    mp.refresh_from_db()
    assert mp.stage == Stage.MRC and mp.next_milestone_date == closes_on
    consultation = mp.consultations.get()
    assert consultation.kind == Consultation.Kind.MRC and consultation.excluded_categories == ["dcc"]
    assert consultation.questions.last().text == "One more question?"
    assert [e.to_stage for e in mp.events.order_by("created_at", "id")] == [
        Stage.DEVELOPMENT,
        Stage.REPORT_PHASE,
        Stage.MRC,
    ]


def test_an_impossible_step_is_refused_with_a_message(client, staff):
    mp = make_modification(stage=Stage.DRAFT)
    client.force_login(staff)
    response = act(client, mp, "open-mrc")
    assert response.status_code == 302
    assert "is not possible" in client.get(response.url).content.decode()
    mp.refresh_from_db()
    assert mp.stage == Stage.DRAFT
    assert client.get(reverse("modifications:modification-action", args=[mp.reference, "explode"])).status_code == 404


def test_a_bad_conversion_keeps_what_was_typed(client, staff):
    mp = make_modification(stage=Stage.DEVELOPMENT)
    client.force_login(staff)
    response = act(client, mp, "convert", {"path": "", "route": "report_phase", "note": "Keep me"})
    assert response.status_code == 400 and "Keep me" in response.content.decode()


def test_party_users_cannot_use_staff_steps(client):
    mp = make_report_phase_mp()
    client.force_login(make_user())
    assert client.get(reverse("modifications:modification-action", args=[mp.reference, "open-mrc"])).status_code == 404
    assert act(client, mp, "open-mrc").status_code == 404
    mp.refresh_from_db()
    assert mp.stage == Stage.REPORT_PHASE
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference]))
    assert page.context["actions"] == []


def test_the_proposer_may_withdraw_from_the_page(client):
    party = make_party(status=Party.Status.ACCEDED)
    proposer = make_user(party=party)
    mp = make_modification(stage=Stage.REFINEMENT, path=Path.PATH_3, route=Route.REFINEMENT, proposer=proposer)
    client.force_login(proposer)
    page = client.get(reverse("modifications:modification-detail", args=[mp.reference]))
    assert [a["key"] for a in page.context["actions"]] == ["withdraw"]
    act(client, mp, "withdraw", {"note": "No longer needed"})
    mp.refresh_from_db()
    assert mp.stage == Stage.WITHDRAWN and mp.latest_update == "No longer needed"


def test_marking_a_release_live_from_the_releases_page(client, staff):
    release = make_release(slug="june-2027", go_live=local_today())
    response = client.post(reverse("modifications:release-go-live", args=["june-2027"]), {"sec_version": "v" * 50})
    assert response.status_code == 302
    mp = make_modification(stage=Stage.APPROVED, target_release=release)
    client.force_login(staff)
    client.post(reverse("modifications:release-go-live", args=["june-2027"]), {"sec_version": "v" * 50})
    release.refresh_from_db()
    assert release.status == "planned"  # a bad version is refused, not dropped
    response = client.post(reverse("modifications:release-go-live", args=["june-2027"]), {"sec_version": "v1.30"})
    assert response.status_code == 302
    mp.refresh_from_db()
    release.refresh_from_db()
    assert mp.stage == Stage.IMPLEMENTED and release.sec_version == "v1.30"
    client.force_login(make_user())
    assert client.post(reverse("modifications:release-go-live", args=["june-2027"])).status_code == 404


def test_unfollowing_a_view_never_redirects_off_site(client):
    from modifications.models import FilterFollow

    user = make_user()
    client.force_login(user)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "modifications:release-go-live"):
        follow = FilterFollow.objects.create(user=user, query=f"q={target}", label="x")
        response = client.post(reverse("modifications:filter-unfollow", args=[follow.pk]), {"next": target})
        assert response.status_code == 302 and response.url == reverse("dashboard"), target


def test_one_bad_filter_keeps_the_others(client):
    make_modification(stage=Stage.MRC, path=Path.PATH_3, route=Route.REFINEMENT, number=801)
    make_modification(stage=Stage.MRC, path=Path.PATH_2, route=Route.REFINEMENT, number=802)
    response = client.get(reverse("modifications:modification-list"), {"path": "path_3", "release": "typo"})
    assert [m.reference for m in response.context["page"].object_list] == ["MP801"]


def test_search_finds_reference_fragments_and_old_references(client, staff):
    from modifications import services

    dp = make_modification(stage=Stage.DEVELOPMENT, number=205)
    services.modification_convert(actor=staff, modification=dp, path=Path.PATH_2, route=Route.REFINEMENT)
    for q in ("205", "DP205", "mp205"):
        response = client.get(reverse("modifications:modification-list"), {"q": q})
        assert [m.reference for m in response.context["page"].object_list] == ["MP205"], q


def test_drafts_in_development_stay_on_the_partys_dashboard(client):
    party = make_party(status=Party.Status.ACCEDED)
    user = make_user(party=party)
    make_modification(stage=Stage.DEVELOPMENT, number=203, proposer_party=party)
    client.force_login(user)
    assert "DP203" in client.get(reverse("dashboard")).content.decode()
