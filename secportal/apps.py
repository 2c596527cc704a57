from django.apps import AppConfig


class SecPortalConfig(AppConfig):
    name = "secportal"
    verbose_name = "SEC Portal"

    def ready(self) -> None:
        from .registry import Section, dashboard_sections, email_kinds
        from .sections import notifications_section

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
