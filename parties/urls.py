from django.urls import path

from . import views

app_name = "parties"

urlpatterns = [
    path("", views.party_list, name="party-list"),
    path("new/", views.party_create, name="party-create"),
    path("account-requests/", views.account_request_list, name="accountrequest-list"),
    path("account-requests/<int:pk>/", views.account_request_detail, name="accountrequest-detail"),
    path("account-requests/<int:pk>/decide/", views.account_request_decide, name="accountrequest-decide"),
    path("change-requests/", views.party_change_request_list, name="change-request-list"),
    path("change-requests/<int:pk>/", views.party_change_request_detail, name="change-request-detail"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("<slug:slug>/", views.party_detail, name="party-detail"),
    path("<slug:slug>/edit/", views.party_edit, name="party-edit"),
    path("<slug:slug>/status/", views.party_status, name="party-status"),
    path("<slug:slug>/delete/", views.party_delete, name="party-delete"),
    path("<slug:slug>/people/", views.party_people, name="party-people"),
    path("<slug:slug>/people/<int:user_id>/remove/", views.party_person_remove, name="party-person-remove"),
    path(
        "<slug:slug>/people/<int:user_id>/<str:action>/",
        views.party_person_action,
        name="party-person-action",
    ),
    path("<slug:slug>/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("<slug:slug>/change-request/", views.party_change_request_create, name="party-change-request"),
]
