from django.urls import path

from . import views

app_name = "modifications"

urlpatterns = [
    path("", views.modification_list, name="modification-list"),
]
