from django.apps import AppConfig


class SecPortalConfig(AppConfig):
    name = "secportal"
    verbose_name = "SEC Portal"

    def ready(self) -> None:
        from .registry import Section, dashboard_sections
        from .sections import failed_emails, notifications_section

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
