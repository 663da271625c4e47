"""Period totals: one row per (site, dimension, value) carrying the counts of all four periods.

The rows of one value (one per period counting it) become one row whose columns of each
period hold that period's counts (zeros for a period without a row); the ranked index of
pages becomes one per period. Reversible: going back splits each row into one per period
with a count above zero.
"""

from django.db import migrations, models

PERIOD_DAYS = (7, 30, 90, 365)
COUNTS = ("pageviews", "visitors", "visits")
PERIOD_FIELDS = tuple(f"{count}_{days}" for days in PERIOD_DAYS for count in COUNTS)
KEYS = ("site_id", "dimension", "value_key", "value")


def one_row_per_value(apps, schema_editor):
    """Sum each value's rows into a new row (days 0, the per-period columns filled), then drop the old ones."""
    table = schema_editor.quote_name(apps.get_model("analytics", "PeriodTotal")._meta.db_table)
    sums = ", ".join(
        f"SUM(CASE WHEN days = {days} THEN {count} ELSE 0 END)" for days in PERIOD_DAYS for count in COUNTS
    )
    keys = ", ".join(KEYS)
    schema_editor.execute(
        f"INSERT INTO {table} ({keys}, days, {', '.join(COUNTS)}, {', '.join(PERIOD_FIELDS)}) "
        f"SELECT {keys}, 0, 0, 0, 0, {sums} FROM {table} WHERE days <> 0 GROUP BY {keys}"
    )
    schema_editor.execute(f"DELETE FROM {table} WHERE days <> 0")


def rows_per_period(apps, schema_editor):
    """Split each row (days 0) into one row per period with a count above zero."""
    table = schema_editor.quote_name(apps.get_model("analytics", "PeriodTotal")._meta.db_table)
    keys = ", ".join(KEYS)
    zeros = ", ".join("0" for _ in PERIOD_FIELDS)
    for days in PERIOD_DAYS:
        columns = [f"{count}_{days}" for count in COUNTS]
        schema_editor.execute(
            f"INSERT INTO {table} ({keys}, days, {', '.join(COUNTS)}, {', '.join(PERIOD_FIELDS)}) "
            f"SELECT {keys}, {days}, {', '.join(columns)}, {zeros} FROM {table} "
            f"WHERE days = 0 AND ({' OR '.join(f'{column} <> 0' for column in columns)})"
        )
    schema_editor.execute(f"DELETE FROM {table} WHERE days = 0")


class Migration(migrations.Migration):
    # After 0152: the table keeps no foreign-key constraint, so the rows inserted here leave no deferred check that
    # would keep the table from being altered in the same transaction.
    dependencies = [("analytics", "0152_hot_tables_site_without_constraint")]

    operations = [
        *(
            migrations.AddField(model_name="periodtotal", name=name, field=models.PositiveIntegerField(default=0))
            for name in PERIOD_FIELDS
        ),
        # A default, so that going back can add the column to a table holding rows.
        migrations.AlterField(model_name="periodtotal", name="days", field=models.PositiveSmallIntegerField(default=0)),
        migrations.RemoveIndex(model_name="periodtotal", name="periodtotal_ranked_pages"),
        migrations.RemoveIndex(model_name="periodtotal", name="periodtotal_value_key"),
        migrations.RunPython(one_row_per_value, rows_per_period),
        migrations.RemoveField(model_name="periodtotal", name="days"),
        *(migrations.RemoveField(model_name="periodtotal", name=name) for name in COUNTS),
        migrations.AddIndex(
            model_name="periodtotal",
            index=models.Index(fields=["site", "dimension", "value_key"], name="periodtotal_value_key"),
        ),
        *(
            migrations.AddIndex(
                model_name="periodtotal",
                index=models.Index(
                    condition=models.Q(("dimension", 1), (f"pageviews_{days}__gt", 0)),
                    fields=["site", f"-pageviews_{days}"],
                    name=f"periodtotal_ranked_pages_{days}",
                ),
            )
            for days in PERIOD_DAYS
        ),
    ]
