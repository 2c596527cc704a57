from django.apps import AppConfig


class SecPortalConfig(AppConfig):
    name = "secportal"
    verbose_name = "SEC Portal"
