"""The public JSON body of `GET /api/public/stats`, field for field as the API documentation shows it."""

import json

from analytics.comparisons import headline_changes
from analytics.models import Site
from analytics.stats import SiteStats
from sharing.models import ShareToken


def render_json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def site_fields(site: Site) -> dict:
    return {"domain": site.domain, "nickname": site.nickname or None}


HEADLINE_KEYS = {
    "unique_visitors": "uniqueVisitors",
    "pageviews": "pageviews",
    "bounce_rate": "bounceRate",
    "avg_session_duration": "avgSessionDuration",
}


def headline_fields(stats: SiteStats) -> dict:
    """The four headline numbers; also what `compare=previous` adds as `previous`."""
    return {key: getattr(stats, field) for field, key in HEADLINE_KEYS.items()}


def change_fields(*, current: SiteStats, previous: SiteStats) -> dict:
    """What `compare=previous` adds as `change`: the figures the share page shows (whole percent; points for
    the bounce rate), null where there is nothing to compare with."""
    changes = headline_changes(current=current, previous=previous)
    return {key: changes[field].figure for field, key in HEADLINE_KEYS.items()}


def stats_fields(stats: SiteStats) -> dict:
    """Every metric field of the response, in the documented order and naming."""
    return {
        **headline_fields(stats),
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


def metric_fields_json(*, share_token: ShareToken, stats: SiteStats, rendered_stats: bytes) -> bytes:
    """The cached metric fields, or, for a link hiding sections, the same fields with those lists empty.

    The cached JSON is shared by every token of the site, so a link that hides a section renders
    its own copy: the hidden lists are never sent, and the shape stays the documented one.
    """
    if not share_token.hidden_sections:
        return rendered_stats
    fields = stats_fields(stats)
    for section in share_token.hidden_sections:
        fields[section] = []
    return render_json(fields)


def public_stats_body(
    *,
    share_token: ShareToken,
    period: str,
    stats: SiteStats,
    rendered_stats: bytes,
    previous: SiteStats | None = None,
) -> bytes:
    """The whole response: the link's own fields first, then the cached metric fields (already JSON), then
    `previous` and `change` when the client asked for them (`compare=previous`).

    The metric fields are shared by every token of the site and rendered once per cache entry, so only
    the small head is rendered per request and the JSON objects are joined as bytes.
    """
    head = render_json(
        {"site": site_fields(share_token.site), "period": str(period), "allowedPeriods": share_token.periods}
    )
    body = (
        head[:-1] + b"," + metric_fields_json(share_token=share_token, stats=stats, rendered_stats=rendered_stats)[1:]
    )
    if previous is not None:
        compared = {"previous": headline_fields(previous), "change": change_fields(current=stats, previous=previous)}
        body = body[:-1] + b"," + render_json(compared)[1:]
    return body
