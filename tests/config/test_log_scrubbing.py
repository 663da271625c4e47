import pytest

from config.log_scrubbing import scrub

TOKEN = "glimpse_Q2xh7Vd0pRk3nW9sT1bY8mZ4cF6gH5jL0aE2uI7oP3q"  # 8 + 43 characters, like a real one


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"Not Found: /share/{TOKEN}/", "Not Found: /share/glimpse_Q2xh7V.../"),
        (f'"GET /share/{TOKEN}/?period=7d HTTP/1.1" 200', '"GET /share/glimpse_Q2xh7V.../?period=7d HTTP/1.1" 200'),
        (f"GET /api/public/stats?token={TOKEN}&period=7d", "GET /api/public/stats?token=glimpse_Q2xh7V...&period=7d"),
        (f"GET /api/public/stats?period=7d&TOKEN={TOKEN}", "GET /api/public/stats?period=7d&TOKEN=glimpse_Q2xh7V..."),
        (f"RuntimeError: no stats for {TOKEN}", "RuntimeError: no stats for glimpse_Q2xh7V..."),
        # Percent-encoded, as in a raw request line or a Referer: decoded once, as Django does.
        (f"GET /sh%61re/{TOKEN.replace('_', '%5F')}/", "GET /share/glimpse_Q2xh7V.../"),
        (f"GET /api/public/stats?%74oken={TOKEN}", "GET /api/public/stats?token=glimpse_Q2xh7V..."),
    ],
)
def test_a_token_is_cut_to_its_display_prefix_wherever_it_appears(line, expected):
    assert scrub(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # A token pasted without its prefix, or with a typo in it, is still most of a token.
        ("Not Found: /share/Q2xh7Vd0pRk3nW9sT1bY8mZ4cF6gH5jL0aE2uI7oP3q/", "Not Found: /share/Q2xh7V.../"),
        ("GET /api/public/stats?token=glimpseQ2xh7Vd0pRk3nW9sT1bY8mZ", "GET /api/public/stats?token=glimps..."),
        ("Not Found: /share/abc/", "Not Found: /share/abc/"),
        ("GET /api/public/stats?token=", "GET /api/public/stats?token="),
    ],
)
def test_garbage_where_a_token_goes_keeps_at_most_six_characters(line, expected):
    assert scrub(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Not Found: /admin/sharing/sharetoken/12/change/",
        "Cache unreachable, answering without it: Error 111 connecting to 127.0.0.1:6379. Connection refused.",
        "100% of the 7d period; glimpse_ alone is only the prefix",
        '"GET /static/glimpse/share.css HTTP/1.1" 200 5120',
    ],
)
def test_lines_without_a_token_are_left_alone(line):
    assert scrub(line) == line


def test_scrubbing_twice_changes_nothing_more():
    once = scrub(f"/share/{TOKEN}/ token={TOKEN} {TOKEN} /share/Q2xh7Vd0pRk3nW9sT1bY8mZ4/")

    assert scrub(once) == once
    assert TOKEN[8:20] not in once


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("POST /share/abc/?password=hunter22&period=7d", "POST /share/abc/?password=[removed]&period=7d"),
        ("GET /api/public/stats?PASSWORD=hunter22", "GET /api/public/stats?PASSWORD=[removed]"),
        ("GET /api/public/stats?pass%77ord=hunter22", "GET /api/public/stats?password=[removed]"),
        ("headers: {'X-Share-Password': 'hunter22'}", "headers: {'X-Share-Password': '[removed]'}"),
        ("X-Share-Password: hunter22", "X-Share-Password: [removed]"),
    ],
)
def test_a_share_link_password_is_removed_wherever_it_appears(line, expected):
    assert scrub(line) == expected
    assert "hunter22" not in scrub(line)
