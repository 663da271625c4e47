"""One mechanism for long periods and one value key for every derived table.

Summed blocks of days go (their rows, `SummedBlock`, `BlockSchedule`): long periods read the
running period totals, or sum the period's day rows where those cannot serve. Day rows
and period totals find a value by the same 64-bit key as the hourly rows
(`analytics.counting.counters.value_key`), computed here for the rows already stored.
"""

import hashlib

from django.db import migrations, models


def value_key(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)


def fill_value_keys(apps, schema_editor):
    connection = schema_editor.connection
    for table in ("analytics_breakdown", "analytics_periodtotal"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT value FROM {table}")
            values = [value for (value,) in cursor.fetchall()]
        keys = [(value_key(value), value) for value in values]
        with connection.cursor() as cursor:
            for first in range(0, len(keys), 5000):
                cursor.executemany(f"UPDATE {table} SET value_key = %s WHERE value = %s", keys[first : first + 5000])


class Migration(migrations.Migration):
    dependencies = [("analytics", "0010_pageview_event_attributes")]

    operations = [
        migrations.RunSQL("DELETE FROM analytics_breakdown WHERE level > 0", migrations.RunSQL.noop),
        migrations.DeleteModel(name="SummedBlock"),
        migrations.DeleteModel(name="BlockSchedule"),
        migrations.RemoveIndex(model_name="breakdown", name="breakdown_block"),
        migrations.RemoveField(model_name="breakdown", name="level"),
        migrations.AddField(
            model_name="breakdown", name="value_key", field=models.BigIntegerField(default=0), preserve_default=False
        ),
        migrations.RemoveIndex(model_name="periodtotal", name="periodtotal_value"),
        migrations.RemoveField(model_name="periodtotal", name="value_hash"),
        migrations.AddField(
            model_name="periodtotal", name="value_key", field=models.BigIntegerField(default=0), preserve_default=False
        ),
        migrations.RunPython(fill_value_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="breakdown", name="start", field=models.DateField(help_text="The site-local day.")
        ),
        migrations.AddIndex(
            model_name="breakdown",
            index=models.Index(fields=["site", "start", "dimension", "value_key"], name="breakdown_day_value"),
        ),
        migrations.AddIndex(
            model_name="periodtotal",
            index=models.Index(fields=["site", "days", "dimension", "value_key"], name="periodtotal_value_key"),
        ),
    ]
