from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SecPortalConfig(AppConfig):
    name = "secportal"
    verbose_name = "SEC Portal"

    def ready(self) -> None:
        from . import pagecache
        from .registry import Section, dashboard_sections
        from .sections import notifications_section

        # A migration may change rows without signals: cached pages start afresh.
        post_migrate.connect(pagecache.on_post_migrate, dispatch_uid="secportal.pagecache")
        # Kept per person like the other sections: writing or reading a notification changes the
        # person's version (secportal.pagecache.bump_person).
        dashboard_sections.register(
            Section(key="notifications", title="Notifications", template="notifications/_dashboard.html",
                    build=notifications_section, order=0, cache_per_user=True)
        )  # fmt: skip
