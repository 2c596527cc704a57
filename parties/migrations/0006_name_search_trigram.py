"""Trigram indexes on people's and Parties' names (PostgreSQL), for the modification register's
search by proposer (`modifications.selectors`): it asks whose name contains what was typed, in any
case, which Django writes as UPPER(name) LIKE UPPER('%typed%'); these indexes are on that
expression, so the search reads an index instead of every name. Measured at 3,000 people: 1 to 3.7
ms for the scan, under 0.1 ms with the index. SQLite (the demo) gets neither and scans its few rows.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "party_name_trigram": ("parties_party", "name"),
    "user_full_name_trigram": ("parties_user", "full_name"),
}


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("parties", "0005_party_event_person")]

    operations = [TrigramExtension(), migrations.RunPython(add, remove)]
