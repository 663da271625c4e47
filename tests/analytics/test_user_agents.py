import pytest

from analytics.user_agents import browser_family, device_type, is_bot

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/124.0.2478.80"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        (CHROME_WINDOWS, "Chrome"),
        (EDGE_WINDOWS, "Edge"),
        (FIREFOX_LINUX, "Firefox"),
        (SAFARI_MAC, "Safari"),
        (SAFARI_IPHONE, "Mobile Safari"),
        (CHROME_ANDROID_PHONE, "Chrome Mobile"),
        ("", "Other"),
        ("definitely not a browser", "Other"),
    ],
)
def test_browser_family_comes_from_ua_parser(user_agent, family):
    assert browser_family(user_agent) == family


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (1, "mobile"),
        (375, "mobile"),
        (575, "mobile"),
        (576, "tablet"),
        (991, "tablet"),
        (992, "desktop"),
        (2560, "desktop"),
    ],
)
def test_viewport_width_sets_the_device_bucket(width, expected):
    assert device_type(width=width, user_agent=CHROME_WINDOWS) == expected


def test_viewport_width_wins_over_the_user_agent():
    assert device_type(width=1280, user_agent=SAFARI_IPHONE) == "desktop"
    assert device_type(width=400, user_agent=CHROME_WINDOWS) == "mobile"


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME_WINDOWS, "desktop"),
        (SAFARI_MAC, "desktop"),
        (SAFARI_IPHONE, "mobile"),
        (CHROME_ANDROID_PHONE, "mobile"),
        (SAFARI_IPAD, "tablet"),
        (CHROME_ANDROID_TABLET, "tablet"),
        ("", "desktop"),
    ],
)
def test_without_a_width_the_device_comes_from_the_user_agent(user_agent, expected):
    assert device_type(width=None, user_agent=user_agent) == expected


@pytest.mark.parametrize(
    "user_agent",
    [
        GOOGLEBOT,
        GPTBOT,
        HEADLESS_CHROME,
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        "",
        "   ",
    ],
)
def test_bots_crawlers_and_headless_browsers_are_detected(user_agent):
    assert is_bot(user_agent)


@pytest.mark.parametrize("user_agent", [CHROME_WINDOWS, EDGE_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE, SAFARI_IPAD])
def test_real_browsers_are_not_bots(user_agent):
    assert not is_bot(user_agent)
