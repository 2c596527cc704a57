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
        for key, title, build, order in (
            ("votes_waiting", "Change Board votes waiting for you", sections.votes_waiting, 10),
            ("new_papers", "Papers published since you last looked", sections.new_papers, 20),
            ("my_actions", "Your actions", sections.my_actions, 30),
            ("votes_to_close", "Change Board votes to close", sections.votes_to_close, 40),
            (
                "meetings_papers_missing",
                "Meetings near paper day with papers missing",
                sections.meetings_papers_missing,
                50,
            ),
            ("vote_progress", "Change Board voting progress", sections.vote_progress, 50),
            ("minutes_to_approve", "Minutes awaiting your approval", sections.minutes_to_approve, 35),
        ):
            dashboard_sections.register(
                Section(
                    key=key,
                    title=title,
                    template="secportal/_dashboard_queue.html",
                    build=build,
                    order=order,
                    queue=True,
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
