from django.urls import path

from . import views

app_name = "news"

urlpatterns = [
    # News
    path("news/", views.post_list, name="post-list"),
    path("news/feed/", views.PostFeed(), name="post-feed"),
    path("news/new/", views.post_create, name="post-create"),
    path("news/drafts/", views.post_drafts, name="post-drafts"),
    path("news/attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
    path("news/images/", views.image_upload, name="image-upload"),
    path("news/images/<uuid:key>.<slug:extension>", views.image_serve, name="image"),
    path("news/<slug:slug>/", views.post_detail, name="post-detail"),
    path("news/<slug:slug>/edit/", views.post_edit, name="post-edit"),
    path("news/<slug:slug>/preview/", views.post_preview, name="post-preview"),
    path("news/<slug:slug>/publish/", views.post_publish, name="post-publish"),
    path("news/<slug:slug>/schedule/", views.post_schedule, name="post-schedule"),
    path("news/<slug:slug>/unschedule/", views.post_unschedule, name="post-unschedule"),
    path("news/<slug:slug>/withdraw/", views.post_withdraw, name="post-withdraw"),
    path("news/<slug:slug>/history/", views.post_history, name="post-history"),
    path("news/<slug:slug>/attachments/new/", views.attachment_upload, name="attachment-upload"),
    # Events
    path("events/", views.event_list, name="event-list"),
    path("events/calendar.ics", views.calendar_ics, name="calendar-ics"),
    path("events/new/", views.event_create, name="event-create"),
    path("events/series/new/", views.series_create, name="series-create"),
    path("events/series/<slug:slug>/extend/", views.series_extend, name="series-extend"),
    path("events/my-calendar/", views.my_calendar, name="my-calendar"),
    path("events/my-calendar/change/", views.my_calendar_action, name="my-calendar-action"),
    path("events/private/<slug:token>.ics", views.private_calendar, name="private-calendar"),
    path("events/registrations/<int:pk>/cancel/", views.registration_cancel, name="registration-cancel"),
    path("events/registrations/<int:pk>/restore/", views.registration_restore, name="registration-restore"),
    path("events/slides/<int:pk>/download/", views.slide_download, name="slide-download"),
    path("events/slides/<int:pk>/thumbnail.png", views.slide_thumbnail, name="slide-thumbnail"),
    path("events/<slug:slug>.ics", views.event_ics, name="event-ics"),
    path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    path("events/<slug:slug>/edit/", views.event_edit, name="event-edit"),
    path("events/<slug:slug>/cancel/", views.event_cancel, name="event-cancel"),
    path("events/<slug:slug>/register/", views.event_register, name="event-register"),
    path("events/<slug:slug>/attendees/", views.attendee_list, name="event-attendees"),
    path("events/<slug:slug>/attendees.csv", views.attendee_csv, name="event-attendees-csv"),
    path("events/<slug:slug>/slides/new/", views.slide_upload, name="slide-upload"),
]
