"""The public JSON shape of statistics (seed document `public-stats-api.md`)."""

from analytics.models import Site
from analytics.stats import SiteStats


def site_fields(site: Site) -> dict:
    return {"domain": site.domain, "nickname": site.nickname or None}


def stats_fields(stats: SiteStats) -> dict:
    """Every metric field of the response, in the documented order and naming."""
    return {
        "uniqueVisitors": stats.unique_visitors,
        "pageviews": stats.pageviews,
        "bounceRate": stats.bounce_rate,
        "avgSessionDuration": stats.avg_session_duration,
        "pages": [
            {"path": row.path, "pageviews": row.pageviews, "uniqueVisitors": row.unique_visitors} for row in stats.pages
        ],
        "referrers": [{"source": row.source, "visits": row.visits} for row in stats.referrers],
        "devices": [{"type": row.key, "count": row.count} for row in stats.devices],
        "browsers": [{"name": row.key, "count": row.count} for row in stats.browsers],
        "countries": [{"code": row.code, "name": row.name, "count": row.count} for row in stats.countries],
        "daily": [
            {"date": row.date.isoformat(), "pageviews": row.pageviews, "uniqueVisitors": row.unique_visitors}
            for row in stats.daily
        ],
    }
