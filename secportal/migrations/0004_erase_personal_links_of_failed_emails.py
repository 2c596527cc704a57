"""Personal links (password reset, set-password, invitation, verification) are now erased when
their email fails or is withheld, not only once it is sent: erase those already kept."""

from django.db import migrations

# The text of secportal.services.ERASED_BODY when this migration was written.
ERASED_BODY = "(Erased: this email carried a personal link, which is not kept once the email is sent or has failed.)"


def erase_personal_links(apps, schema_editor):
    OutboxMessage = apps.get_model("secportal", "OutboxMessage")
    OutboxMessage.objects.filter(sensitive=True).exclude(status="queued").update(body_text=ERASED_BODY, body_html="")


class Migration(migrations.Migration):
    dependencies = [("secportal", "0003_sessions")]

    operations = [migrations.RunPython(erase_personal_links, migrations.RunPython.noop, elidable=True)]
