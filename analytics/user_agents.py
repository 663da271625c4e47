"""What kind of client sent a request: a bot or not, its browser family and its device type.

Every function here costs the same whatever the client sends: a user agent longer
than `USER_AGENT_MAX_LENGTH` is a bot before any pattern sees it, and crawlerdetect's
patterns run in linear time (see `crawler_pattern`).
"""

import re

from crawlerdetect.providers.crawlers import data as CRAWLER_PATTERNS
from crawlerdetect.providers.exclusions import data as BROWSER_TOKEN_PATTERNS
from ua_parser import parse_user_agent

from analytics.models import DeviceType
from analytics.text import printable

# Browsers send 100 to 300 characters. Longer is a bot, never truncated: a cut could drop the very token that
# marks a bot, and it would hash many user agents into one visitor.
USER_AGENT_MAX_LENGTH = 512
# Automation that crawlerdetect does not always flag: headless browsers and their drivers.
HEADLESS = re.compile(r"headless|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver", re.IGNORECASE)
TABLET_UA = re.compile(r"ipad|tablet|kindle|silk|playbook|sm-t\d|nexus (7|9|10)", re.IGNORECASE)
MOBILE_UA = re.compile(r"mobi|iphone|ipod|android|blackberry|windows phone|opera mini", re.IGNORECASE)
# Viewport widths (CSS px) below which a page is laid out for phones and tablets, as in Bootstrap.
MOBILE_MAX_WIDTH = 576
TABLET_MAX_WIDTH = 992
UNKNOWN_BROWSER = "Other"
BROWSER_MAX_LENGTH = 64
# A leading `[…]*` never changes whether `search` finds a match (it may match nothing), but it makes the search
# quadratic in the length of a run of those characters: crawlerdetect's `[a-z0-9\-_]*(bot|crawl|…)` spent 1.3 s
# on a 4 KB user agent of letters.
LEADING_STARRED_CLASS = re.compile(r"^\[(?:\\.|[^\]\\])+\]\*")


def crawler_pattern(patterns: list[str]) -> re.Pattern[str]:
    """crawlerdetect's alternation, matching the same user agents, minus its quadratic prefixes."""
    return re.compile("|".join(LEADING_STARRED_CLASS.sub("", pattern) for pattern in patterns), re.IGNORECASE)


CRAWLER = crawler_pattern(CRAWLER_PATTERNS)
BROWSER_TOKENS = re.compile("|".join(BROWSER_TOKEN_PATTERNS), re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """crawlerdetect's verdict, plus headless browsers and user agents that are empty or too long to be a browser.

    Every browser sends a user agent, so a request without one is automation too. As
    crawlerdetect does, browser tokens (`Mozilla/5.0`, `Safari/537.36`, …) are removed
    before the crawler patterns run, so `Chrome` inside `HeadlessChrome` is no alibi.
    """
    user_agent = user_agent.strip()
    if not user_agent or len(user_agent) > USER_AGENT_MAX_LENGTH or HEADLESS.search(user_agent):
        return True
    remainder = BROWSER_TOKENS.sub("", user_agent)
    return bool(remainder) and CRAWLER.search(remainder) is not None


def browser_family(user_agent: str) -> str:
    """The family name from ua-parser (`Chrome`, `Firefox`, `Mobile Safari`, …); `Other` when unknown.

    Some of ua-parser's patterns copy text from the user agent into the family, so it is
    cleaned and cut to what the database holds.
    """
    if not user_agent or len(user_agent) > USER_AGENT_MAX_LENGTH:
        return UNKNOWN_BROWSER
    found = parse_user_agent(user_agent)
    family = printable(found.family)[:BROWSER_MAX_LENGTH].strip() if found is not None else ""
    return family or UNKNOWN_BROWSER


def device_type(*, width: int | None, user_agent: str) -> str:
    """The viewport width says how the page was actually laid out; the user agent is the fallback."""
    if width is not None:
        if width < MOBILE_MAX_WIDTH:
            return DeviceType.MOBILE
        if width < TABLET_MAX_WIDTH:
            return DeviceType.TABLET
        return DeviceType.DESKTOP
    user_agent = user_agent[:USER_AGENT_MAX_LENGTH].lower()
    if TABLET_UA.search(user_agent) or ("android" in user_agent and "mobi" not in user_agent):
        return DeviceType.TABLET
    if MOBILE_UA.search(user_agent):
        return DeviceType.MOBILE
    return DeviceType.DESKTOP
