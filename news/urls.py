from django.urls import path

from . import views

app_name = "news"

urlpatterns = [
    path("news/", views.post_list, name="post-list"),
    path("events/", views.event_list, name="event-list"),
]
