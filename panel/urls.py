from django.urls import path

from . import views

app_name = "panel"

urlpatterns = [
    path("", views.committee_list, name="committee-list"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/papers/new/", views.paper_upload, name="paper-upload"),
    path("meetings/<int:pk>/items/<int:item_pk>/outcome/", views.item_outcome, name="item-outcome"),
    path("meetings/<int:pk>/minutes/", views.minutes_edit, name="minutes-edit"),
    path("meetings/<int:pk>/minutes/approve/", views.minutes_approve, name="minutes-approve"),
    path("meetings/<int:pk>/actions/new/", views.action_add, name="action-add"),
    path("papers/<int:pk>/download/", views.paper_download, name="paper-download"),
    path("actions/<int:pk>/status/", views.action_status, name="action-status"),
    path("meetings/<int:pk>/items/<int:item_pk>/vote/", views.vote_open, name="vote-open"),
    path("votes/<int:pk>/", views.vote_detail, name="vote-detail"),
    path("votes/<int:pk>/cast/", views.vote_cast, name="vote-cast"),
    path("votes/<int:pk>/close/", views.vote_close, name="vote-close"),
    path("memberships/<int:pk>/end/", views.membership_end, name="membership-end"),
    path("<slug:slug>/", views.committee_detail, name="committee-detail"),
    path("<slug:slug>/members/new/", views.membership_add, name="membership-add"),
]
