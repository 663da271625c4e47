"""The pageview-ranked index of period totals covers the pages list alone (the only list cut by pageviews).

A batch's writer looks each value up by (site, days, dimension, value key); with the
ranked index over every dimension PostgreSQL sometimes took that one for the look-up
on a table not analysed since it grew, walking every row of the dimension per change.
Partial on pages, it can serve no such look-up.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0150_site_members'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='periodtotal',
            name='periodtotal_ranked',
        ),
        migrations.AddIndex(
            model_name='periodtotal',
            index=models.Index(condition=models.Q(('dimension', 1)), fields=['site', 'days', '-pageviews'], name='periodtotal_ranked_pages'),
        ),
    ]
