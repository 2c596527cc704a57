from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def modification_list(request: HttpRequest) -> HttpResponse:
    return render(request, "modifications/modification_list.html")
