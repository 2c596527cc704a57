"""Rich text saved before it was rendered at save gets its HTML: the body of every post and of every
revision, the description of every event and series."""

from django.db import migrations

from secportal.richtext import render_stored_rows

RICH_TEXT = {
    "NewsPost": ("body",),
    "NewsPostRevision": ("body",),
    "Event": ("description",),
    "EventSeries": ("description",),
}


class Migration(migrations.Migration):
    dependencies = [("news", "0002_rich_text_html")]

    operations = [migrations.RunPython(render_stored_rows("news", RICH_TEXT), migrations.RunPython.noop)]
