"""Aligned blocks of 2**level days, the spans the rollups sum over.

A block of level n starts a multiple of 2**n days after 1970-01-01. Only the levels in
`SUMMED_LEVELS` are summed (4, 16, 64 and 256 days): a block is the sum of its four parts
of the summed level below (or of its four days), so a value seen once is stored in its day
and at most four blocks. Any run of N days is covered by at most 3 blocks of each summed
level at either end, wherever it starts and ends: 365 days by at most 20, where calendar
months would need up to 60 loose days at the two ragged ends.
"""

import datetime as dt
from collections.abc import Callable, Iterable

EPOCH = dt.date(1970, 1, 1)
MAX_LEVEL = 8  # 256 days: the largest block a 365-day period can hold
# Every other level: half the rows of summing every level (a long tail of values is stored once per level),
# at the price of covers of up to three blocks of a level where one or two would do.
SUMMED_LEVELS = (2, 4, 6, MAX_LEVEL)
Block = tuple[int, dt.date]  # (level, first day)


def block_start(day: dt.date, level: int) -> dt.date:
    offset = (day - EPOCH).days
    return EPOCH + dt.timedelta(days=offset - offset % (1 << level))


def block_last_day(block: Block) -> dt.date:
    level, start = block
    return start + dt.timedelta(days=(1 << level) - 1)


def parts(block: Block) -> list[Block]:
    """The blocks of the summed level below (days below the smallest) that make up `block`."""
    level, start = block
    lower = max(summed for summed in (0, *SUMMED_LEVELS) if summed < level)
    return [(lower, start + dt.timedelta(days=index << lower)) for index in range(1 << (level - lower))]


def blocks_containing(day: dt.date) -> list[Block]:
    """Every summed block that `day` belongs to."""
    return [(level, block_start(day, level)) for level in SUMMED_LEVELS]


def cover(first: dt.date, last: dt.date, *, usable: Callable[[Block], bool]) -> list[Block]:
    """The fewest aligned summed blocks that tile `first` … `last`, taking a block only if `usable` says so.

    Days (level 0) are always usable; an unusable block is replaced by smaller ones.
    """
    blocks: list[Block] = []
    day = first
    while day <= last:
        level = next(
            (
                level
                for level in reversed(SUMMED_LEVELS)
                if block_start(day, level) == day and block_last_day((level, day)) <= last and usable((level, day))
            ),
            0,
        )
        blocks.append((level, day))
        day += dt.timedelta(days=1 << level)
    return blocks


def covering_all(days: Iterable[dt.date], *, usable: Callable[[Block], bool]) -> list[Block]:
    """Blocks tiling each run of consecutive days."""
    blocks: list[Block] = []
    for first, last in runs(days):
        blocks += cover(first, last, usable=usable)
    return blocks


def runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive dates as (first, last) pairs."""
    pairs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if pairs and day - pairs[-1][1] == dt.timedelta(days=1):
            pairs[-1] = (pairs[-1][0], day)
        else:
            pairs.append((day, day))
    return pairs
