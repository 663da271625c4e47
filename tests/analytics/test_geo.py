import pytest

from analytics.geo import country_code


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("8.8.8.8", "US"),
        ("81.2.69.142", "GB"),
        ("193.0.0.1", "NL"),
        ("::ffff:81.2.69.142", "GB"),
        ("10.0.0.1", ""),
        ("127.0.0.1", ""),
        ("192.168.1.20", ""),
        ("::1", ""),
        ("2001:db8::1", ""),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_country_comes_from_the_offline_ip_database_or_is_unknown(ip, expected):
    assert country_code(ip=ip) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("FR", "FR"), ("fr", "FR"), (" de ", "DE"), ("XX", "GB"), ("T1", "GB"), ("EU", "GB"), ("", "GB"), ("FRA", "GB")],
)
def test_a_trusted_header_wins_when_it_names_a_real_country(header, expected):
    assert country_code(ip="81.2.69.142", header_country=header) == expected
