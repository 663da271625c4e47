import pytest

from analytics.domains import normalize_domain


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("Example.COM", "example.com"),
        ("https://www.example.com:8443/path?q=1", "example.com"),
        ("www.blog.example.org.", "blog.example.org"),
        ("  shop.example.net  ", "shop.example.net"),
    ],
)
def test_domains_are_stored_bare(raw, domain):
    assert normalize_domain(raw) == domain
