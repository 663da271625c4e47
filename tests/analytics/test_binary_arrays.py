"""The writers' binary arrays (`analytics.binary_arrays`) read back by PostgreSQL as the values they were made of."""

import datetime as dt

import pytest

from analytics.binary_arrays import binary_array
from analytics.raw_writes import binding_cursor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CEST = dt.timezone(dt.timedelta(hours=2))


def read_back(values: list, *, db_type: str) -> list:
    with binding_cursor() as cursor:
        cursor.execute(f"SELECT %b::{db_type}[]", [binary_array(values, db_type=db_type)])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("db_type", "values"),
    [
        ("bigint", [0, 1, -1, 9223372036854775807, -9223372036854775808, 12345678901]),
        ("integer", [0, 5, -7, 2147483647, -2147483648]),
        ("smallint", [1, 5, -3, 32767]),
        ("boolean", [True, False, False, True]),
        ("date", [dt.date(2000, 1, 1), dt.date(1999, 12, 31), dt.date(1970, 1, 1), dt.date(2026, 12, 7)]),
        ("varchar(64)", ["", "/a", "é€😀", 'q"uo\\te,{}', "NULL"]),
        ("varchar(64)", [None, "a", None]),
        ("bigint", []),
    ],
)
def test_an_array_reads_back_as_its_values(db_type, values):
    assert read_back(values, db_type=db_type) == values


def test_times_read_back_as_the_same_instants_to_the_microsecond():
    values = [
        dt.datetime(2026, 12, 7, 12, 0, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 3, 30, tzinfo=CEST),
    ]
    stored = read_back(values, db_type="timestamp with time zone")
    assert stored == values
    assert stored[2] == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_a_column_type_with_a_length_cuts_its_values_as_a_cast_does():
    assert read_back(["abcdef", "ab"], db_type="varchar(3)") == ["abc", "ab"]


def test_a_naive_time_is_refused():
    with pytest.raises(TypeError):
        binary_array([dt.datetime(2026, 12, 7, 12, 0)], db_type="timestamp with time zone")
