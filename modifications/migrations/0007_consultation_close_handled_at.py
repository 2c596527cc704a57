from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def mark_past_closes_handled(apps, schema_editor):
    """Consultations that closed before beat acted on closes: nothing to do for them now."""
    Consultation = apps.get_model("modifications", "Consultation")
    Consultation.objects.filter(closes_at__lt=timezone.now()).update(close_handled_at=F("closes_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("modifications", "0006_render_stored_rich_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="consultation",
            name="close_handled_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When its close was acted on: the modification moved on, SECAS told.",
                null=True,
            ),
        ),
        migrations.RunPython(mark_past_closes_handled, migrations.RunPython.noop),
    ]
