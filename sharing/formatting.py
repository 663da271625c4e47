"""Numbers as a non-technical reader expects to see them: `1,250`, `42.5%`, `3m 05s`, `1.2k`.

Formatting is fixed to English rather than the request's locale: the page is
in English, and a reader comparing it with the API must see the same digits.
"""

import datetime as dt

EN_DASH = "\u2013"
MINUS = "\u2212"
PLUS_MINUS = "\u00b1"


def format_count(value: int) -> str:
    return f"{value:,}"


def format_percent(value: float) -> str:
    return f"{value:.1f}%"


def format_duration(seconds: float) -> str:
    """Whole seconds, as a clock would show them: `45s`, `3m 05s`, `1h 02m`."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_compact(value: int) -> str:
    """Short axis labels: `950`, `1.2k`, `15k`, `2.5M`."""
    for threshold, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= threshold:
            scaled = value / threshold
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(value)


def format_share(part: int, whole: int) -> str:
    """A row's share of the total, for the tables: `56%`, `0.4%`, `<0.1%`."""
    if not whole or not part:
        return "0%"
    share = 100 * part / whole
    if share < 0.1:
        return "<0.1%"
    return f"{share:.0f}%" if share >= 10 else f"{share:.1f}%".replace(".0%", "%")


def format_day(day: dt.date) -> str:
    """`Wed 18 Mar 2026`: the weekday matters to readers looking for weekly patterns."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def format_date_range(first: dt.date, last: dt.date) -> str:
    """`12-18 Mar 2026`, `24 Feb - 18 Mar 2026`, `19 Mar 2025 - 18 Mar 2026`, typeset with an en dash."""
    if first == last:
        return f"{last.day} {last:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{EN_DASH}{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} {EN_DASH} {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} {EN_DASH} {last.day} {last:%b %Y}"


def format_hour_span(start: dt.datetime) -> str:
    """`Wed 18 Mar, 14:30-15:30` (with an en dash): one hour of the 24-hour chart, in the time zone `start` carries."""
    end = start + dt.timedelta(hours=1)
    return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}{EN_DASH}{end:%H:%M}"


def format_change(figure: float, *, points: bool = False) -> str:
    """An already rounded change: `+12%`, `-4%`, `+-0%` (with real minus signs); with `points`, a difference of
    two rates: `+3.2 pts`. The sign is the figure's own, so it never disagrees with the digits shown."""
    sign = "+" if figure > 0 else MINUS if figure < 0 else PLUS_MINUS
    return f"{sign}{abs(figure):.1f} pts" if points else f"{sign}{abs(figure):,}%"
