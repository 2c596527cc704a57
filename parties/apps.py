from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class PartiesConfig(AppConfig):
    name = "parties"
    verbose_name = "Parties and people"

    def ready(self) -> None:
        from secportal.pagecache import watch_app
        from secportal.registry import Section, bench_seeders, dashboard_sections, demo_seeders

        from . import dashboard, demo, signals

        signals.connect()
        # Pages showing Parties and people are cached against this app's version
        # (secportal.pagecache); signing in only records the time and changes nothing shown.
        watch_app(self, ignore_updates={"User": ["last_login"]})
        # Roles' permissions (the admin's Groups) and second factors show on the dashboard too;
        # using an authenticator only records its use.
        watch_app(apps.get_app_config("auth"), group=self.label)
        watch_app(
            apps.get_app_config("mfa"), group=self.label, ignore_updates={"Authenticator": ["last_used_at", "data"]}
        )
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
                cache_per_user=True,
            )
        )
        dashboard_sections.register(
            Section(
                key="my_party",
                title="Your Party",
                template="parties/_dashboard_my_party.html",
                build=dashboard.my_party_section,
                order=20,
                cache_per_user=True,
            )
        )
        dashboard_sections.register(
            Section(
                key="account_requests",
                title="Account requests",
                template="parties/_dashboard_requests.html",
                build=dashboard.account_requests_section,
                order=5,
                cache_per_user=True,
            )
        )
