from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "News and events"

    def ready(self) -> None:
        from secportal.registry import Section, bench_seeders, dashboard_sections, demo_seeders, home_sections

        from . import demo, notifications, sections

        notifications.register()

        home_sections.register(
            Section(
                key="latest_news",
                title="Latest news",
                template="news/_home_news.html",
                build=sections.home_news,
                order=10,
            )
        )
        home_sections.register(
            Section(
                key="upcoming_events",
                title="Upcoming events",
                template="news/_home_events.html",
                build=sections.home_events,
                order=15,
            )
        )
        dashboard_sections.register(
            Section(
                key="my_events",
                title="My events",
                template="news/_dashboard_my_events.html",
                build=sections.my_events,
                order=30,
            )
        )
        dashboard_sections.register(
            Section(
                key="scheduled_posts",
                title="Scheduled posts",
                template="secportal/_dashboard_queue.html",
                build=sections.scheduled_posts,
                order=60,
                queue=True,
            )
        )
        demo_seeders.register("news", demo.seed, order=40)
        from . import bench

        bench_seeders.register("news", bench.seed, order=40)
