"""PostgreSQL sessions run without parallel plans or JIT: the app's reads are one site's rows through an index."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_plan_no_parallel_workers_and_no_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
