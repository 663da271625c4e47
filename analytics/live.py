"""What is happening on a site right now, for its owner: read straight from the collected pageviews.

Both reads walk the `(site, timestamp)` index from its newest end (`pageview_site_timestamp`),
so they touch only the last few minutes of rows however many pageviews a site holds.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from analytics.models import Pageview, Site

LIVE_WINDOW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class LiveActivity:
    now: dt.datetime
    visitors_last_5_minutes: int
    last_pageview_at: dt.datetime | None

    @property
    def seconds_since_last_pageview(self) -> int | None:
        if self.last_pageview_at is None:
            return None
        return max(0, int((self.now - self.last_pageview_at).total_seconds()))


def live_activity(*, site: Site, now: dt.datetime) -> LiveActivity:
    """Distinct visitor ids with a pageview in the five minutes up to `now`, and the latest pageview's time."""
    recent = Pageview.objects.filter(site=site, timestamp__gt=now - LIVE_WINDOW, timestamp__lte=now)
    visitors = recent.aggregate(visitors=Count("visitor_id", distinct=True))["visitors"]
    last = (
        Pageview.objects.filter(site=site, timestamp__lte=now)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    return LiveActivity(now=now, visitors_last_5_minutes=visitors, last_pageview_at=last)
