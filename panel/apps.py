from django.apps import AppConfig


class PanelConfig(AppConfig):
    name = "panel"
    verbose_name = "Panel and committees"

    def ready(self) -> None:
        from secportal.classification import CommitteeLookup, register_committee_lookup
        from secportal.registry import Section, bench_seeders, dashboard_sections, demo_seeders, party_sections

        from . import demo, notifications, permissions, sections

        notifications.register()

        # Every right that comes from a committee place (AMBER papers and documents, confidential
        # consultation responses, the MFA rule) is asked of panel.permissions through this.
        register_committee_lookup(CommitteeLookup(access=permissions.committee_rights, has_place=permissions.has_place))
        dashboard_sections.register(
            Section(
                key="my_committees",
                title="Your committees and meetings",
                template="panel/_dashboard_committees.html",
                build=sections.my_committees,
                order=3,
            )
        )
        party_sections.register(
            Section(
                key="party_committee_members",
                title="On the Panel and its committees",
                template="panel/_party_members.html",
                build=sections.party_members,
                order=5,
            )
        )
        demo_seeders.register("panel", demo.seed, order=30)
        from . import bench

        bench_seeders.register("panel", bench.seed, order=30)
