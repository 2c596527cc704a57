"""Rich text saved before it was rendered at save gets its HTML: every committee's purpose and terms
of reference, every meeting's headlines and minutes."""

from django.db import migrations

from secportal.richtext import render_stored_rows

RICH_TEXT = {
    "Committee": ("purpose", "terms_of_reference"),
    "Meeting": ("headlines",),
    "Minutes": ("text",),
}


class Migration(migrations.Migration):
    dependencies = [("panel", "0004_rich_text_html")]

    operations = [migrations.RunPython(render_stored_rows("panel", RICH_TEXT), migrations.RunPython.noop)]
