"""The worker's pass (`rollup_stats --every N`): move period totals past the days that left them, sum the totals
of sites that have none yet, and drop hourly rows no window reads any more. An idle site costs nothing."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from analytics.counting.counters import lock_site
from analytics.counting.periods import build_period_totals, slide_site_periods
from analytics.models import DailyRollup, PeriodWindow, Site


def latest_local_date(now: dt.datetime) -> dt.date:
    """The date it is somewhere: local dates run up to 14 hours ahead of UTC."""
    return (now.astimezone(dt.UTC) + dt.timedelta(hours=14)).date()


def due_in_own_time_zone(candidates: QuerySet[Site], *, due_on: Subquery, now: dt.datetime) -> list[Site]:
    """The `candidates` whose `due_on` (none: always due) has come in their own time zone, in one query.

    The database picks sites due by the latest date anywhere, which is already tomorrow in
    UTC+14 for ten hours of every UTC day; a site of Europe is not due until its own
    midnight, and visiting it before cost about ten queries a site each pass.
    """
    return [
        site
        for site in candidates.annotate(due_on=due_on)
        if site.due_on is None or site.due_on <= now.astimezone(site.tzinfo).date()
    ]


def slide_due_periods(*, now: dt.datetime, sites: Iterable[Site] | None = None) -> int:
    """Move the period totals whose earliest day with data has left the period, for every site that is due (or
    `sites`), and sum the totals of sites that have data but none yet; returns how many periods were moved or built.

    Due is judged in each site's own time zone; a site without data and an idle site are not visited.
    """
    if sites is None:
        due = PeriodWindow.objects.filter(due_on__lte=latest_local_date(now)).values("site_id")
        without_totals = Q(Exists(DailyRollup.objects.filter(site=OuterRef("pk")))) & ~Q(
            Exists(PeriodWindow.objects.filter(site=OuterRef("pk")))
        )
        due_on = PeriodWindow.objects.filter(site=OuterRef("pk")).order_by("due_on").values("due_on")[:1]
        candidates = Site.objects.filter(Q(pk__in=due) | without_totals).order_by("pk")
        sites = due_in_own_time_zone(candidates, due_on=due_on, now=now)
    periods = 0
    for site in sites:
        with transaction.atomic():
            lock_site(site)
            if PeriodWindow.objects.filter(site=site).exists():
                periods += slide_site_periods(site=site, now=now)
            else:
                periods += build_period_totals(site=site, now=now)
    return periods
