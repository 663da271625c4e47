"""Numbers and dates as a reader expects to see them in their own language: `1,250` or `1.250`, `42.5%` or
`42,5 %`, `3m 05s`, `1.2K`, `Wed 18 Mar 2026` or `2026年3月18日(水)`.

Everything follows the active Django language (the reader's, see config.reader_language) through Babel's
CLDR data, so digits, separators, month names and date order are each locale's own. English is written the
British way (`18 Mar 2026`, not `Mar 18, 2026`): day before month reads the same to every English reader.
Where the word order of a date or duration is a matter of taste rather than CLDR data, the pattern itself is
a translatable string, so the translator of a language decides it. Times stay in the time zone the value
carries (the site's); nothing here converts.
"""

import datetime as dt
import functools
from collections.abc import Callable

from babel import Locale
from babel.dates import format_date, format_interval, format_time
from babel.numbers import format_compact_decimal, format_decimal
from babel.numbers import format_percent as format_percent_babel
from django.utils import translation
from django.utils.translation import gettext, pgettext

EN_DASH = "\u2013"
MINUS = "\u2212"
PLUS_MINUS = "\u00b1"
# Django's language codes that CLDR spells differently.
BABEL_LOCALES = {"en": "en_GB", "en-us": "en_GB", "en-gb": "en_GB"}


def reader_locale() -> Locale:
    """The active language as a Babel locale (`pt-br` → `pt_BR`, `zh-hans` → `zh_Hans`)."""
    return locale_of((translation.get_language() or "en").lower())


@functools.cache
def locale_of(language: str) -> Locale:
    """Parsing a locale costs more than formatting a number with it, and a long chart formats a thousand."""
    return Locale.parse(BABEL_LOCALES.get(language) or translation.to_locale(language))


def format_count(value: int) -> str:
    return format_decimal(value, locale=reader_locale())


def count_formatter() -> Callable[[int], str]:
    """`format_count` with the reader's locale looked up once: for the hundreds of numbers of a long chart."""
    return functools.partial(format_decimal, locale=reader_locale())


def format_decimal_places(value: float, places: int) -> str:
    return format_decimal(value, format="#,##0." + "0" * places if places else "#,##0", locale=reader_locale())


def format_percent_places(value: float, places: int) -> str:
    """`42.5%`, `42,5 %`: the locale's own percent pattern, with `places` decimals."""
    pattern = reader_locale().percent_formats[None].pattern
    last_digit = pattern.rindex("0") + 1
    pattern = pattern[:last_digit] + ("." + "0" * places if places else "") + pattern[last_digit:]
    return format_percent_babel(value / 100, format=pattern, locale=reader_locale())


def format_percent(value: float) -> str:
    return format_percent_places(value, 1)


def format_duration(seconds: float) -> str:
    """Whole seconds, as a clock would show them: `45s`, `3m 05s`, `1h 02m` (the units are the translator's)."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return gettext("%(hours)sh %(minutes)sm") % {"hours": format_count(hours), "minutes": f"{minutes:02d}"}
    if minutes:
        return gettext("%(minutes)sm %(seconds)ss") % {"minutes": minutes, "seconds": f"{secs:02d}"}
    return gettext("%(seconds)ss") % {"seconds": secs}


def format_compact(value: int) -> str:
    """Short axis labels in the locale's compact form: `950`, `1.2K`, `15K`, `2.5M`; `1.5万` in Japanese."""
    return format_compact_decimal(value, format_type="short", fraction_digits=1, locale=reader_locale())


def format_share(part: int, whole: int) -> str:
    """A row's share of the total, for the tables: `56%`, `0.4%`, `<0.1%`."""
    if not whole or not part:
        return format_percent_places(0, 0)
    share = 100 * part / whole
    if share < 0.1:
        return "<" + format_percent_places(0.1, 1)
    if share >= 10 or round(share, 1) == round(share):
        return format_percent_places(round(share), 0)
    return format_percent_places(share, 1)


def format_day(day: dt.date) -> str:
    """`Wed 18 Mar 2026`: the weekday matters to readers looking for weekly patterns."""
    pattern = pgettext("CLDR date pattern of a day, with its weekday", "EEE d MMM y")
    return format_date(day, pattern, locale=reader_locale())


def format_day_short(day: dt.date) -> str:
    """`Wed 18 Mar`: a day within a range whose year is said elsewhere."""
    pattern = pgettext("CLDR date pattern of a day with its weekday, no year", "EEE d MMM")
    return format_date(day, pattern, locale=reader_locale())


def format_date_pattern(day: dt.date, pattern: str) -> str:
    return format_date(day, pattern, locale=reader_locale())


def format_date_range(first: dt.date, last: dt.date) -> str:
    """`12-18 Mar 2026`, `24 Feb - 18 Mar 2026`, `19 Mar 2025 - 18 Mar 2026` (en dashes): each part said once."""
    # CLDR puts thin spaces around the dash; a plain space lets a phone wrap the range there.
    return format_interval(first, last, "yMMMd", locale=reader_locale()).replace("\u2009", " ")


def format_clock(moment: dt.datetime | dt.time) -> str:
    """`14:30`: the 24-hour clock, which every shipped language reads."""
    return format_time(moment, "HH:mm", locale=reader_locale())


def format_hour_span(start: dt.datetime, end: dt.datetime | None = None) -> str:
    """`Wed 18 Mar, 14:00-15:00` (with an en dash): an hour of the 24-hour chart, or the part of it from `start` to
    `end`, in the time zone `start` carries."""
    end = end or start + dt.timedelta(hours=1)
    return gettext("%(day)s, %(hours)s") % {
        "day": format_day_short(start.date()),
        "hours": format_clock(start) + EN_DASH + format_clock(end),
    }


def format_moment(moment: dt.datetime) -> str:
    """`18 Mar 2026, 14:30 CET`: a point in time, with the zone it is given in."""
    return gettext("%(date)s, %(time)s %(zone)s") % {
        "date": format_interval(moment.date(), moment.date(), "yMMMd", locale=reader_locale()),
        "time": format_clock(moment),
        "zone": moment.tzname(),
    }


def format_change(figure: float, *, points: bool = False) -> str:
    """An already rounded change: `+12%`, `-4%`, `+-0%` (with real minus signs); with `points`, a difference of
    two rates: `+3.2 pts`. The sign is the figure's own, so it never disagrees with the digits shown."""
    sign = "+" if figure > 0 else MINUS if figure < 0 else PLUS_MINUS
    if points:
        return gettext("%(sign)s%(points)s pts") % {"sign": sign, "points": format_decimal_places(abs(figure), 1)}
    return sign + format_percent_places(abs(figure), 0)
