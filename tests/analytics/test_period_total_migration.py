"""The migration to one period-total row per value: the rows of each value become one row holding every period's
counts, and going back splits them again. Run as migrations on the test database, forward and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analytics.models import Dimension, PeriodTotal
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

COUNTS = [f"{count}_{days}" for days in (7, 30, 90, 365) for count in ("pageviews", "visitors", "visits")]
# (site, days, dimension, value, pageviews, visitors, visits) as rows per period were stored; site 1 or 2.
ROWS_PER_PERIOD = [
    (1, 7, Dimension.PATH, "/", 4, 3, 0),
    (1, 30, Dimension.PATH, "/", 5, 4, 0),
    (1, 90, Dimension.PATH, "/", 5, 4, 0),
    (1, 365, Dimension.PATH, "/", 6, 5, 0),
    (1, 365, Dimension.PATH, "/old", 1, 1, 0),
    (1, 7, Dimension.SOURCE, "/", 0, 0, 2),  # the same value in another dimension: a row of its own
    (1, 30, Dimension.SOURCE, "/", 0, 0, 3),
    (2, 7, Dimension.PATH, "/", 1, 1, 0),
    (2, 30, Dimension.PATH, "/", 1, 1, 0),
    (2, 90, Dimension.PATH, "/", 1, 1, 0),
    (2, 365, Dimension.PATH, "/", 1, 1, 0),
]


def migrate(executor: MigrationExecutor, targets: list[tuple[str, str]]) -> None:
    executor.loader.build_graph()
    executor.migrate(targets)


def test_rows_per_period_become_one_row_per_value_and_back():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    (name,) = [name for app, name in executor.loader.disk_migrations if name.endswith("periodtotal_one_row_per_value")]
    (before,) = executor.loader.graph.node_map[("analytics", name)].parents
    sites = {1: SiteFactory(), 2: SiteFactory()}
    try:
        migrate(executor, [before.key])
        old_totals = executor.loader.project_state(before.key).apps.get_model("analytics", "PeriodTotal")
        old_totals.objects.bulk_create(
            old_totals(
                site_id=sites[site].pk,
                days=days,
                dimension=dimension,
                value_key=len(value),
                value=value,
                pageviews=pageviews,
                visitors=visitors,
                visits=visits,
            )
            for site, days, dimension, value, pageviews, visitors, visits in ROWS_PER_PERIOD
        )

        migrate(executor, [("analytics", name)])

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT site_id, dimension, value, value_key, {', '.join(COUNTS)} FROM analytics_periodtotal"
            )
            rows = sorted(cursor.fetchall())
        assert rows == sorted(
            [
                (sites[1].pk, Dimension.PATH, "/", 1, 4, 3, 0, 5, 4, 0, 5, 4, 0, 6, 5, 0),
                (sites[1].pk, Dimension.PATH, "/old", 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0),
                (sites[1].pk, Dimension.SOURCE, "/", 1, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0),
                (sites[2].pk, Dimension.PATH, "/", 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0),
            ]
        )

        migrate(executor, [before.key])

        assert sorted(
            old_totals.objects.values_list("site_id", "days", "dimension", "value", "pageviews", "visitors", "visits")
        ) == sorted(
            (sites[site].pk, days, dimension, value, pageviews, visitors, visits)
            for site, days, dimension, value, pageviews, visitors, visits in ROWS_PER_PERIOD
        )
    finally:
        migrate(executor, latest)
    assert PeriodTotal.objects.count() == 4
