"""The "Panel member" and "Committee member" groups copied committee places and drifted from them
(an observer in the Panel group, an ended membership still in it, one added in the admin never in
it). Rights from a committee place are now computed from the current memberships on each request
(panel.permissions), so the groups go, and with them every person's membership of them."""

from django.db import migrations

RETIRED = ("Panel member", "Committee member")


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=RETIRED).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0002_user_drop_mfa_stamp"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Nothing to put back: the groups gave no permission of their own, and rights now come from memberships.
    operations = [migrations.RunPython(remove_groups, migrations.RunPython.noop)]
