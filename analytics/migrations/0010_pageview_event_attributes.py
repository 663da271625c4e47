"""Each pageview keeps its own source, device type, browser and country; sessions no longer own pageviews.

A session is derived from its visitor-day's pageviews (`analytics.counting.rule`): the first
pageview, whenever it arrives, gives it its source and the rest. Existing pageviews take
their session's values, which is what they counted with until now.
"""

from django.db import migrations, models

COPY = {
    "postgresql": (
        "UPDATE analytics_pageview AS p SET source = s.source, device_type = s.device_type, "
        "browser = s.browser, country = s.country FROM analytics_session AS s WHERE p.session_id = s.id"
    ),
    "sqlite": (
        "UPDATE analytics_pageview SET (source, device_type, browser, country) = "
        "(SELECT s.source, s.device_type, s.browser, s.country FROM analytics_session AS s "
        "WHERE s.id = analytics_pageview.session_id)"
    ),
}


def copy_session_values(apps, schema_editor):
    schema_editor.execute(COPY[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [("analytics", "0009_every_other_block_level")]

    operations = [
        migrations.AddField(
            model_name="pageview",
            name="source",
            field=models.CharField(db_default="direct", default="direct", max_length=255),
        ),
        migrations.AddField(
            model_name="pageview",
            name="device_type",
            field=models.CharField(
                choices=[("desktop", "Desktop"), ("mobile", "Mobile"), ("tablet", "Tablet")],
                db_default="desktop",
                default="desktop",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="pageview",
            name="browser",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AddField(
            model_name="pageview",
            name="country",
            field=models.CharField(blank=True, db_default="", default="", max_length=2),
        ),
        migrations.RunPython(copy_session_values, migrations.RunPython.noop),
        migrations.RemoveField(model_name="pageview", name="session"),
    ]
