"""Blocks are summed at levels 2, 4, 6 and 8 only (`analytics.blocks.SUMMED_LEVELS`): the odd levels' rows go.

Readers never use them any more and late pageviews no longer update them; the even levels'
blocks stay as they are (each is still the exact sum of its days).

The per-value tables also take no parallel scans, as `analytics_periodtotal` already does:
every read of them is one site's rows through an index, but a day of one site's rows can
be estimated at thousands, and a parallel plan then spent 20 ms starting its workers for
a 1 ms read (a period's list just after midnight, with one day of rows subtracted).
"""

from django.db import migrations

ODD_LEVELS = (1, 3, 5, 7)
PER_VALUE_TABLES = ("analytics_breakdown", "analytics_hourlybreakdown")


def drop_odd_levels(apps, schema_editor):
    apps.get_model("analytics", "Breakdown").objects.filter(level__in=ODD_LEVELS).delete()
    apps.get_model("analytics", "SummedBlock").objects.filter(level__in=ODD_LEVELS).delete()


def without_parallel_scans(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in PER_VALUE_TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (parallel_workers = 0)")


def with_parallel_scans(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in PER_VALUE_TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (parallel_workers)")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0008_hourly_rollups")]

    operations = [
        migrations.RunPython(drop_odd_levels, migrations.RunPython.noop),
        migrations.RunPython(without_parallel_scans, with_parallel_scans),
    ]
