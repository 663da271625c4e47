"""Hostile user agents: bounded before any pattern runs, and the bot verdict is crawlerdetect's, in linear time."""

from types import SimpleNamespace

import pytest
from crawlerdetect import CrawlerDetect
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.user_agents import (
    HEADLESS,
    USER_AGENT_MAX_LENGTH,
    browser_family,
    crawler_pattern,
    device_type,
    is_bot,
)
from tests.hypothesis_profiles import examples

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
# Facebook's in-app browser on iOS: one of the longest user agents real people send (about 260 characters).
FACEBOOK_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "[FBAN/FBIOS;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]"
)
REFERENCE = CrawlerDetect()


def padded(user_agent: str, length: int) -> str:
    return user_agent + " " + "x" * (length - len(user_agent) - 1)


def test_a_browser_user_agent_up_to_the_bound_is_a_browser_and_one_character_more_is_a_bot():
    at_bound = padded(CHROME, USER_AGENT_MAX_LENGTH)
    over = padded(CHROME, USER_AGENT_MAX_LENGTH + 1)

    assert (len(at_bound), len(over)) == (512, 513)
    assert not is_bot(at_bound)
    assert is_bot(over)
    assert not is_bot(FACEBOOK_IOS)


def test_a_long_user_agent_is_never_cut_down_to_a_browser():
    """Truncating to the bound would drop the bot's name at the end; refusing the whole string cannot."""
    disguised = padded(CHROME, 600) + " Googlebot/2.1"

    assert is_bot(disguised)
    assert not is_bot(disguised[:USER_AGENT_MAX_LENGTH])


@pytest.mark.parametrize("length", [513, 4096, 8192])
def test_over_long_user_agents_are_bots_whatever_they_contain(length):
    assert is_bot("a" * length)
    assert is_bot(padded(CHROME, length))


def test_over_long_user_agents_get_no_browser_family_and_a_bounded_device_guess():
    assert browser_family(padded(CHROME, 513)) == "Other"
    assert browser_family(padded(CHROME, 512)) == "Chrome"
    assert device_type(width=None, user_agent="x" * 600 + " iPhone") == "desktop"
    assert device_type(width=None, user_agent="x" * 400 + " iPhone") == "mobile"


def test_the_browser_family_is_clean_text_that_fits_the_column(monkeypatch):
    """Some of ua-parser's patterns copy text from the user agent into the family; whatever they copy is stored."""
    copied = SimpleNamespace(family="Evil\x00\ud800Browser" + "Z" * 100)
    monkeypatch.setattr("analytics.user_agents.parse_user_agent", lambda user_agent: copied)

    assert browser_family(CHROME) == "EvilBrowser" + "Z" * 53


def test_the_quadratic_prefix_is_removed_and_nothing_else():
    pattern = crawler_pattern([r"[a-z0-9\-_]*(bot|crawl)", r"^Java\/", r"Go [\d\.]* package http", r"[ ]Intel"])

    assert pattern.pattern == r"(bot|crawl)|^Java\/|Go [\d\.]* package http|[ ]Intel"


def reference_is_bot(user_agent: str) -> bool:
    """What is_bot said before the bound and the linear patterns: crawlerdetect itself."""
    return not user_agent.strip() or bool(HEADLESS.search(user_agent)) or REFERENCE.isCrawler(user_agent)


@pytest.mark.parametrize(
    "user_agent",
    [
        CHROME,
        FACEBOOK_IOS,
        GOOGLEBOT,
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Java/17.0.2",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile",
        "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0; SLCC2; .NET CLR 2.0.50727)",
        "my-uptime-monitoring-agent",
        "Mozilla/5.0",
        "a" * 512,
    ],
)
def test_the_verdict_is_crawlerdetects_on_known_user_agents(user_agent):
    assert is_bot(user_agent) == reference_is_bot(user_agent)


FRAGMENTS = [
    "Mozilla/5.0 ",
    "(Windows NT 10.0; Win64; x64) ",
    "AppleWebKit/537.36 ",
    "Chrome/124.0 ",
    "Safari/537.36",
    "bot",
    "Bot",
    "crawl",
    "spider",
    "Java/",
    "Headless",
    "-",
    "_",
    " ",
    "/",
    ".",
    ";",
    "a",
    "Z",
    "7",
    "é",
]


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_the_verdict_is_crawlerdetects_on_generated_user_agents(user_agent):
    assert is_bot(user_agent) == reference_is_bot(user_agent)
