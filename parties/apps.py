from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PartiesConfig(AppConfig):
    name = "parties"
    verbose_name = "Parties and people"

    def ready(self) -> None:
        from secportal.registry import Section, bench_seeders, dashboard_sections, demo_seeders

        from . import dashboard, demo, emails, notifications, signals

        signals.connect()
        emails.register()
        notifications.register()
        demo_seeders.register("parties", demo.seed, order=10)
        from . import bench

        bench_seeders.register("parties", bench.seed, order=10)
        # After every app's migrate, so staff receive the permissions of every app.
        post_migrate.connect(signals.on_post_migrate, dispatch_uid="parties.roles_sync")
        dashboard_sections.register(
            Section(
                key="account",
                title="Your account",
                template="parties/_dashboard_account.html",
                build=dashboard.account_section,
                order=10,
            )
        )
        dashboard_sections.register(
            Section(
                key="party_people",
                title="Invitations and account requests for your Party",
                template="secportal/_dashboard_queue.html",
                build=dashboard.party_people_queue,
                order=20,
                queue=True,
            )
        )
        dashboard_sections.register(
            Section(
                key="account_requests",
                title="Account and Party-change requests",
                template="secportal/_dashboard_queue.html",
                build=dashboard.account_requests_section,
                order=20,
                queue=True,
            )
        )
