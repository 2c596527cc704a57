"""The first words of the pages SECAS edits on the portal (secportal/page_defaults.py)."""

from django.db import migrations

from secportal.page_defaults import ensure_pages


def add_pages(apps, schema_editor):
    ensure_pages(
        apps.get_model("secportal", "PageText"),
        apps.get_model("secportal", "PageTextRevision"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("secportal", "0006_page_texts"),
    ]

    operations = [migrations.RunPython(add_pages, migrations.RunPython.noop)]
