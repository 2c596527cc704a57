from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def committee_list(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/committee_list.html")
