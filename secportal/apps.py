from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_pages(sender, using: str = "default", apps=None, **kwargs) -> None:
    """After `migrate` and after every `flush` (tests flush between transactional tests), each page
    SECAS edits has a row: its first text if it had none; nothing SECAS wrote is touched. `migrate`
    passes the models as its plan left them (none, when migrated back before they existed);
    `flush` passes none, and the tables are those of the code."""
    from .page_defaults import ensure_pages

    if apps is None:
        from django.apps import apps
    try:
        page, revision = apps.get_model("secportal", "PageText"), apps.get_model("secportal", "PageTextRevision")
    except LookupError:
        return
    ensure_pages(page, revision, using=using)


class SecPortalConfig(AppConfig):
    name = "secportal"
    verbose_name = "SEC Portal"

    def ready(self) -> None:
        from .registry import Section, dashboard_sections, email_kinds
        from .sections import failed_emails, notifications_section

        post_migrate.connect(_ensure_pages, sender=self, dispatch_uid="secportal.ensure_pages")
        email_kinds.register("digest.daily", "Daily digest")
        email_kinds.register("digest.weekly", "Weekly digest")

        dashboard_sections.register(
            Section(
                key="notifications",
                title="Notifications",
                template="notifications/_dashboard.html",
                build=notifications_section,
                order=0,
            )
        )
        dashboard_sections.register(
            Section(
                key="failed_emails",
                title="Failed emails",
                template="secportal/_dashboard_queue.html",
                build=failed_emails,
                order=70,
                queue=True,
            )
        )
