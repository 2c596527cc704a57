from django.apps import AppConfig


class ModificationsConfig(AppConfig):
    name = "modifications"
    verbose_name = "Modifications"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from secportal.registry import (
            Section,
            bench_seeders,
            dashboard_sections,
            demo_seeders,
            home_sections,
            party_sections,
        )

        from . import demo, notifications, sections
        from .models import ModificationProposal
        from .selectors import register_changed_now_and_on_commit

        notifications.register()
        for signal in (post_save, post_delete):
            signal.connect(register_changed_now_and_on_commit, sender=ModificationProposal, weak=False)

        dashboard_sections.register(
            Section(
                key="followed_modifications",
                title="Modifications you follow",
                template="modifications/_dashboard_followed.html",
                build=sections.followed,
                order=1,
            )
        )
        dashboard_sections.register(
            Section(
                key="party_drafts",
                title="Draft Proposals your Party raised",
                template="modifications/_dashboard_drafts.html",
                build=sections.party_drafts,
                order=2,
            )
        )
        dashboard_sections.register(
            Section(
                key="drafts_to_review",
                title="Draft Proposals awaiting critical-friend review",
                template="secportal/_dashboard_queue.html",
                build=sections.drafts_to_review,
                order=10,
                queue=True,
            )
        )
        dashboard_sections.register(
            Section(
                key="party_consultations",
                title="Consultations open to your Party",
                template="secportal/_dashboard_queue.html",
                build=sections.party_consultations,
                order=10,
                queue=True,
            )
        )
        dashboard_sections.register(
            Section(
                key="consultations_to_act",
                title="Consultations closing or with responses to publish",
                template="secportal/_dashboard_queue.html",
                build=sections.consultations_to_act,
                order=30,
                queue=True,
            )
        )
        dashboard_sections.register(
            Section(
                key="responses_to_read",
                title="Consultation responses you may now read",
                template="secportal/_dashboard_queue.html",
                build=sections.responses_to_read,
                order=40,
                queue=True,
            )
        )
        home_sections.register(
            Section(
                key="modifications_in_progress",
                title="Modifications in progress",
                template="modifications/_home_in_progress.html",
                build=sections.in_progress,
                order=20,
            )
        )
        party_sections.register(
            Section(
                key="party_modifications",
                title="Modifications proposed",
                template="modifications/_party_modifications.html",
                build=sections.party_modifications,
                order=10,
            )
        )
        demo_seeders.register("modifications", demo.seed, order=20)
        from . import bench

        bench_seeders.register("modifications", bench.seed, order=20)
        demo_seeders.register("consultations", demo.seed_consultations, order=21)
        demo_seeders.register("follows", demo.seed_follows, order=22)
