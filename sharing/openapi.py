"""The public stats API as OpenAPI describes it: these serializers document the response, they never run."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from analytics.periods import Period


class SiteSerializer(serializers.Serializer):
    domain = serializers.CharField()
    nickname = serializers.CharField(allow_null=True)


class PageSerializer(serializers.Serializer):
    path = serializers.CharField()
    pageviews = serializers.IntegerField(min_value=0)
    uniqueVisitors = serializers.IntegerField(min_value=0)


class ReferrerSerializer(serializers.Serializer):
    source = serializers.CharField()
    visits = serializers.IntegerField(min_value=0)


class DeviceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["desktop", "mobile", "tablet"])
    count = serializers.IntegerField(min_value=0)


class BrowserSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField(min_value=0)


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(min_length=2, max_length=2)
    name = serializers.CharField()
    count = serializers.IntegerField(min_value=0)


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    pageviews = serializers.IntegerField(min_value=0)
    uniqueVisitors = serializers.IntegerField(min_value=0)


class HeadlineSerializer(serializers.Serializer):
    uniqueVisitors = serializers.IntegerField(min_value=0)
    pageviews = serializers.IntegerField(min_value=0)
    bounceRate = serializers.FloatField(min_value=0, max_value=100)
    avgSessionDuration = serializers.FloatField(min_value=0)


class ChangeSerializer(serializers.Serializer):
    """Each figure is null when there is nothing to compare with: the previous period has no pageviews (or, for
    the bounce rate and duration, this one has none; for a count or duration, the previous value is 0)."""

    uniqueVisitors = serializers.IntegerField(allow_null=True, help_text="Change in whole percent.")
    pageviews = serializers.IntegerField(allow_null=True, help_text="Change in whole percent.")
    bounceRate = serializers.FloatField(allow_null=True, help_text="Difference in percentage points, one decimal.")
    avgSessionDuration = serializers.IntegerField(allow_null=True, help_text="Change in whole percent.")


class PublicStatsSerializer(serializers.Serializer):
    site = SiteSerializer()
    period = serializers.ChoiceField(choices=Period.choices)
    allowedPeriods = serializers.ListField(child=serializers.ChoiceField(choices=Period.choices))
    uniqueVisitors = serializers.IntegerField(min_value=0)
    pageviews = serializers.IntegerField(min_value=0)
    bounceRate = serializers.FloatField(min_value=0, max_value=100)
    avgSessionDuration = serializers.FloatField(min_value=0)
    pages = PageSerializer(many=True)
    referrers = ReferrerSerializer(many=True)
    devices = DeviceSerializer(many=True)
    browsers = BrowserSerializer(many=True)
    countries = CountrySerializer(many=True)
    daily = DaySerializer(many=True)
    previous = HeadlineSerializer(
        required=False,
        help_text="Only with compare=previous: the same headline numbers for the period just before this one "
        "(for Nd the N days before, up to the same time of day N days ago; for 24h the 24 hours before).",
    )
    change = ChangeSerializer(
        required=False,
        help_text="Only with compare=previous: how each headline number changed, as the share page shows it.",
    )


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


public_stats_schema = extend_schema(
    operation_id="public_stats",
    summary="Statistics of one site, read with a share token",
    auth=[],
    parameters=[
        OpenApiParameter(
            "token", {"type": "string", "minLength": 1}, description="The share token (glimpse_…).", required=True
        ),
        OpenApiParameter(
            "period",
            str,
            enum=Period.values,
            description="Time period; 7d when absent or empty. A period the token does not allow is 403.",
        ),
        OpenApiParameter(
            "compare",
            str,
            enum=["previous"],
            description="Opt-in: `previous` adds a `previous` object with the headline numbers of the period "
            "just before, and a `change` object with how each changed. Without it the response is unchanged.",
        ),
        OpenApiParameter(
            "X-Share-Password",
            str,
            location=OpenApiParameter.HEADER,
            description="Only for a password-protected link: its password. Never put it in the query string.",
        ),
    ],
    responses={
        200: PublicStatsSerializer,
        400: error("Share token required"),
        401: error("Password required for this share (or wrong password), for a password-protected link"),
        403: error("Period not allowed for this share"),
        404: error("Invalid or expired share link"),
        405: error("Method not allowed"),
        429: error("Too many requests (see Retry-After)"),
        500: error("Internal server error"),
        503: error(
            "Service unavailable, try again shortly (see Retry-After): the database cannot be reached and this "
            "answer is not cached"
        ),
    },
)
