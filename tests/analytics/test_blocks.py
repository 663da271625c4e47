"""Aligned blocks of 2**n days, summed at levels 2, 4, 6 and 8: 2026-01-27 is day 20480 = 256 * 80 after 1970-01-01."""

import datetime as dt

from analytics.blocks import block_last_day, block_start, blocks_containing, cover, parts, runs


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def always(block) -> bool:
    return True


def test_blocks_start_on_multiples_of_their_length_after_1970():
    assert block_start(d("2026-02-27"), 5) == d("2026-01-27")
    assert block_start(d("2026-02-28"), 5) == d("2026-02-28")
    assert block_start(d("2026-02-28"), 6) == d("2026-01-27")
    assert block_start(d("2026-02-27"), 4) == d("2026-02-12")
    assert block_last_day((5, d("2026-01-27"))) == d("2026-02-27")


def test_a_block_is_made_of_four_parts_of_the_summed_level_below():
    assert parts((4, d("2026-01-27"))) == [
        (2, d("2026-01-27")),
        (2, d("2026-01-31")),
        (2, d("2026-02-04")),
        (2, d("2026-02-08")),
    ]
    assert parts((2, d("2026-03-16"))) == [(0, d(f"2026-03-{day}")) for day in (16, 17, 18, 19)]
    assert parts((8, d("2026-01-27"))) == [
        (6, d("2026-01-27")),
        (6, d("2026-04-01")),
        (6, d("2026-06-04")),
        (6, d("2026-08-07")),
    ]


def test_a_day_belongs_to_one_block_per_summed_level():
    assert blocks_containing(d("2026-03-17")) == [
        (2, d("2026-03-16")),
        (4, d("2026-03-16")),
        (6, d("2026-01-27")),
        (8, d("2026-01-27")),
    ]


def test_cover_takes_the_largest_aligned_summed_block_that_fits():
    assert cover(d("2026-01-27"), d("2026-03-18"), usable=always) == [
        (4, d("2026-01-27")),
        (4, d("2026-02-12")),
        (4, d("2026-02-28")),
        (0, d("2026-03-16")),
        (0, d("2026-03-17")),
        (0, d("2026-03-18")),
    ]


def test_cover_replaces_a_block_it_may_not_use_by_smaller_ones():
    blocks = cover(d("2026-01-27"), d("2026-02-11"), usable=lambda block: block != (4, d("2026-01-27")))

    assert blocks == [(2, d("2026-01-27")), (2, d("2026-01-31")), (2, d("2026-02-04")), (2, d("2026-02-08"))]


def test_cover_falls_back_to_days():
    assert cover(d("2026-03-16"), d("2026-03-18"), usable=lambda block: False) == [
        (0, d("2026-03-16")),
        (0, d("2026-03-17")),
        (0, d("2026-03-18")),
    ]


def test_any_year_needs_at_most_twenty_blocks():
    first = d("2026-01-01")
    for offset in range(512):
        start = first + dt.timedelta(days=offset)
        blocks = cover(start, start + dt.timedelta(days=364), usable=always)
        assert len(blocks) <= 20
        assert sum(1 << level for level, _ in blocks) == 365


def test_runs_group_consecutive_days():
    days = [d("2026-03-18"), d("2026-03-16"), d("2026-03-17"), d("2026-03-10")]

    assert runs(days) == [(d("2026-03-10"), d("2026-03-10")), (d("2026-03-16"), d("2026-03-18"))]
