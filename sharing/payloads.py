"""The public JSON body of `GET /api/public/stats`, field for field as the API documentation shows it."""

import json

from analytics.models import Site
from analytics.stats import SiteStats
from sharing.models import ShareToken


def render_json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


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


def public_stats_body(*, share_token: ShareToken, period: str, rendered_stats: bytes) -> bytes:
    """The whole response: the link's own fields first, then the cached metric fields (already JSON).

    The metric fields are shared by every token of the site and rendered once per cache entry, so only
    the small head is rendered per request and the two JSON objects are joined as bytes.
    """
    head = render_json(
        {"site": site_fields(share_token.site), "period": str(period), "allowedPeriods": share_token.periods}
    )
    return head[:-1] + b"," + rendered_stats[1:]
