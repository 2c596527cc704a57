from django.urls import path

from . import consultation_views, views

app_name = "modifications"

urlpatterns = [
    path("", views.modification_list, name="modification-list"),
    path("raise/", views.modification_raise, name="modification-raise"),
    path("fast-track/", views.modification_raise_fast_track, name="modification-fast-track"),
    path("feed/", views.ModificationFeed(), name="modification-feed"),
    path("export.csv", views.export_csv, name="modification-export"),
    path("follow-filter/", views.follow_filter, name="filter-follow"),
    path("follow-filter/<int:pk>/delete/", views.unfollow_filter, name="filter-unfollow"),
    path("releases/", views.release_list, name="release-list"),
    path("releases/<slug:slug>/", views.release_detail, name="release-detail"),
    path("releases/<slug:slug>/go-live/", views.release_go_live, name="release-go-live"),
    path("releases/<slug:slug>/document/", views.release_document_upload, name="release-document-upload"),
    path("releases/<slug:slug>/document/download/", views.release_document_download, name="release-document-download"),
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
    path("consultations/", consultation_views.consultation_list, name="consultation-list"),
    path("consultations/new/", consultation_views.consultation_create, name="consultation-create"),
    path("consultations/<int:pk>/", consultation_views.consultation_detail, name="consultation-detail"),
    path("consultations/<int:pk>/respond/", consultation_views.consultation_respond, name="consultation-respond"),
    path("consultations/<int:pk>/autosave/", consultation_views.consultation_autosave, name="consultation-autosave"),
    path("consultations/<int:pk>/close/", consultation_views.consultation_move_close, name="consultation-close"),
    path("consultations/<int:pk>/publish/", consultation_views.consultation_publish, name="consultation-publish"),
    path("consultations/<int:pk>/responses.csv", consultation_views.consultation_csv, name="consultation-csv"),
    path("<str:reference>/", views.modification_detail, name="modification-detail"),
    path("<str:reference>/follow/", views.follow, name="modification-follow"),
    path("<str:reference>/documents/new/", views.document_upload, name="document-upload"),
    path("<str:reference>/actions/<slug:action>/", views.modification_action, name="modification-action"),
]
