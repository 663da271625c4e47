import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.process_state import reset_process_state
from analytics.user_agents import (
    USER_AGENT_MAX_LENGTH,
    UserAgentTraits,
    browser_family,
    device_type,
    is_bot,
    remembered_traits_of,
    user_agent_traits,
)

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
        ("Mozilla/5.0 \ud800 Firefox/125.0", "Other"),
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


@pytest.mark.parametrize(
    ("user_agent", "traits"),
    [
        (CHROME_WINDOWS, UserAgentTraits(bot=False, browser="Chrome", device_type="desktop")),
        (SAFARI_IPHONE, UserAgentTraits(bot=False, browser="Mobile Safari", device_type="mobile")),
        (CHROME_ANDROID_TABLET, UserAgentTraits(bot=False, browser="Chrome", device_type="tablet")),
        (GOOGLEBOT, UserAgentTraits(bot=True, browser="", device_type="")),
        ("", UserAgentTraits(bot=True, browser="", device_type="")),
    ],
)
def test_user_agent_traits_are_the_verdicts_of_the_single_functions(user_agent, traits):
    assert user_agent_traits(user_agent) == traits
    assert user_agent_traits(user_agent) == traits  # the remembered answer is the same


@given(st.text(max_size=80) | st.sampled_from([CHROME_WINDOWS, SAFARI_IPAD, GOOGLEBOT, HEADLESS_CHROME, ""]))
def test_remembered_traits_always_equal_the_single_functions(user_agent):
    traits = user_agent_traits(user_agent)

    assert traits.bot == is_bot(user_agent)
    if not traits.bot:
        assert traits.browser == browser_family(user_agent)
        assert traits.device_type == device_type(width=None, user_agent=user_agent)


def test_traits_are_remembered_per_user_agent_and_forgotten_with_the_process_state():
    reset_process_state()
    user_agent_traits(CHROME_WINDOWS)
    user_agent_traits(CHROME_WINDOWS)
    user_agent_traits(FIREFOX_LINUX)

    assert (remembered_traits_of.cache_info().hits, remembered_traits_of.cache_info().currsize) == (1, 2)
    reset_process_state()
    assert remembered_traits_of.cache_info().currsize == 0


def test_over_long_user_agents_and_switched_off_fast_paths_are_not_remembered(settings):
    reset_process_state()
    over_long = CHROME_WINDOWS + " " + "x" * USER_AGENT_MAX_LENGTH

    assert user_agent_traits(over_long) == UserAgentTraits(bot=True, browser="", device_type="")
    settings.GLIMPSE_FAST_PATHS = False
    assert user_agent_traits(CHROME_WINDOWS) == UserAgentTraits(bot=False, browser="Chrome", device_type="desktop")
    assert remembered_traits_of.cache_info().currsize == 0
