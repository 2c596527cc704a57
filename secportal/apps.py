from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SecPortalConfig(AppConfig):
    name = "secportal"
    verbose_name = "SEC Portal"

    def ready(self) -> None:
        from . import pagecache

        # A migration may change rows without signals: cached pages start afresh.
        post_migrate.connect(pagecache.on_post_migrate, dispatch_uid="secportal.pagecache")
