import pytest

from analytics.sources import session_source

SITE = "example.com"


@pytest.mark.parametrize(
    ("url", "referrer", "expected"),
    [
        ("https://example.com/?utm_source=newsletter", "https://www.google.com/", "newsletter"),
        ("https://example.com/?utm_medium=email&utm_source=Spring%20Sale", "", "Spring Sale"),
        ("https://example.com/?utm_source=", "https://news.ycombinator.com/item?id=1", "news.ycombinator.com"),
        ("https://example.com/?utm_source=%20%20", "", "direct"),
        ("https://example.com/", "https://www.Google.com/search?q=glimpse", "google.com"),
        ("https://example.com/", "https://WWW.DuckDuckGo.COM:443/", "duckduckgo.com"),
        ("https://example.com/", "https://l.facebook.com/l.php?u=x", "l.facebook.com"),
        ("https://example.com/", "android-app://com.google.android.gm/", "com.google.android.gm"),
        ("https://example.com/", "", "direct"),
        ("https://example.com/pricing", "https://example.com/", "direct"),
        ("https://example.com/pricing", "https://www.example.com/blog", "direct"),
        ("https://staging.example.org/pricing", "https://staging.example.org/", "direct"),
        ("https://example.com/", "https://blog.example.com/post", "blog.example.com"),
    ],
)
def test_source_is_utm_source_then_referrer_host_then_direct(url, referrer, expected):
    assert session_source(url=url, referrer=referrer, site_domain=SITE) == expected


def test_utm_source_is_capped_to_the_column_length():
    assert (
        session_source(url="https://example.com/?utm_source=" + "x" * 300, referrer="", site_domain=SITE) == "x" * 255
    )
