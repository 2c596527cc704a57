"""Rich text saved before it was rendered at save gets its HTML: the issue and solution of every
modification and the introduction of every consultation."""

from django.db import migrations

from secportal.richtext import render_stored_rows

RICH_TEXT = {
    "ModificationProposal": ("issue", "solution"),
    "Consultation": ("introduction",),
}


def render(apps, schema_editor):
    for model_name, names in RICH_TEXT.items():
        render_stored_rows(apps.get_model("modifications", model_name), names, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("modifications", "0005_rich_text_html")]

    operations = [migrations.RunPython(render, migrations.RunPython.noop)]
