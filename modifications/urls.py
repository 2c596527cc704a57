from django.urls import path

from . import views

app_name = "modifications"

urlpatterns = [
    path("", views.modification_list, name="modification-list"),
    path("raise/", views.modification_raise, name="modification-raise"),
    path("feed/", views.ModificationFeed(), name="modification-feed"),
    path("export.csv", views.export_csv, name="modification-export"),
    path("follow-filter/", views.follow_filter, name="filter-follow"),
    path("follow-filter/<int:pk>/delete/", views.unfollow_filter, name="filter-unfollow"),
    path("releases/", views.release_list, name="release-list"),
    path("releases/<slug:slug>/go-live/", views.release_go_live, name="release-go-live"),
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
    path("<str:reference>/", views.modification_detail, name="modification-detail"),
    path("<str:reference>/follow/", views.follow, name="modification-follow"),
    path("<str:reference>/documents/new/", views.document_upload, name="document-upload"),
    path("<str:reference>/actions/<slug:action>/", views.modification_action, name="modification-action"),
]
