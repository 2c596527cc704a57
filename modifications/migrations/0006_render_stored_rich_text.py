"""Rich text saved before it was rendered at save gets its HTML: the issue and solution of every
modification and the introduction of every consultation."""

from django.db import migrations

from secportal.richtext import render_stored_rows

RICH_TEXT = {
    "ModificationProposal": ("issue", "solution"),
    "Consultation": ("introduction",),
}


class Migration(migrations.Migration):
    dependencies = [("modifications", "0005_rich_text_html")]

    operations = [migrations.RunPython(render_stored_rows("modifications", RICH_TEXT), migrations.RunPython.noop)]
