from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def post_list(request: HttpRequest) -> HttpResponse:
    return render(request, "news/post_list.html")


def event_list(request: HttpRequest) -> HttpResponse:
    return render(request, "news/event_list.html")
