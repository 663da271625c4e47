"""Aligned blocks of 2**level days, the spans the rollups sum over.

A block of level n starts a multiple of 2**n days after 1970-01-01 and is made of two
blocks of level n - 1. Any run of N days is covered by at most 2·log2(N) such blocks,
wherever it starts and ends: 365 days by about ten, where calendar months would need
up to 60 loose days at the two ragged ends.
"""

import datetime as dt
from collections.abc import Callable, Iterable

EPOCH = dt.date(1970, 1, 1)
MAX_LEVEL = 8  # 256 days: the largest block a 365-day period can hold
Block = tuple[int, dt.date]  # (level, first day)


def block_start(day: dt.date, level: int) -> dt.date:
    offset = (day - EPOCH).days
    return EPOCH + dt.timedelta(days=offset - offset % (1 << level))


def block_last_day(block: Block) -> dt.date:
    level, start = block
    return start + dt.timedelta(days=(1 << level) - 1)


def halves(block: Block) -> tuple[Block, Block]:
    level, start = block
    return (level - 1, start), (level - 1, start + dt.timedelta(days=1 << (level - 1)))


def blocks_containing(day: dt.date) -> list[Block]:
    """Every block of level 1 and up that `day` belongs to."""
    return [(level, block_start(day, level)) for level in range(1, MAX_LEVEL + 1)]


def cover(first: dt.date, last: dt.date, *, usable: Callable[[Block], bool]) -> list[Block]:
    """The fewest aligned blocks that tile `first` … `last`, taking a block only if `usable` says so.

    Days (level 0) are always usable; an unusable block is split into its halves.
    """
    blocks: list[Block] = []
    day = first
    while day <= last:
        level = MAX_LEVEL
        while level > 0 and (
            block_start(day, level) != day or block_last_day((level, day)) > last or not usable((level, day))
        ):
            level -= 1
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
