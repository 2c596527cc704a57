from django.urls import path

from . import views

app_name = "parties"

urlpatterns = [
    path("", views.party_list, name="party-list"),
    path("account-requests/", views.account_request_list, name="accountrequest-list"),
    path("account-requests/<int:pk>/", views.account_request_detail, name="accountrequest-detail"),
    path("account-requests/<int:pk>/decide/", views.account_request_decide, name="accountrequest-decide"),
]
