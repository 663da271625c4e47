"""What kind of client sent a request: a bot or not, its browser family and its device type.

Every function here costs the same whatever the client sends: a user agent longer
than `USER_AGENT_MAX_LENGTH` is a bot before any pattern sees it, and crawlerdetect's
patterns run in linear time (see `crawler_pattern`).

The patterns are most of what an event costs the web process (about 0.25 ms for the
15 or so searches), while real traffic comes from a few thousand distinct user agents,
so `user_agent_traits` remembers the verdicts of the most recent ones.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from crawlerdetect.providers.crawlers import data as CRAWLER_PATTERNS
from crawlerdetect.providers.exclusions import data as BROWSER_TOKEN_PATTERNS
from ua_parser import parse_user_agent

from analytics.models import DeviceType
from analytics.process_state import fast_paths_enabled, register_reset
from analytics.text import printable

# Browsers send 100 to 300 characters. Longer is a bot, never truncated: a cut could drop the very token that
# marks a bot, and it would hash many user agents into one visitor.
USER_AGENT_MAX_LENGTH = 512
# Automation that crawlerdetect does not always flag: headless browsers and their drivers.
HEADLESS = re.compile(r"headless|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver", re.IGNORECASE)
TABLET_UA = re.compile(r"ipad|tablet|kindle|silk|playbook|sm-t\d|nexus (7|9|10)", re.IGNORECASE)
MOBILE_UA = re.compile(r"mobi|iphone|ipod|android|blackberry|windows phone|opera mini", re.IGNORECASE)
# Distinct user agents whose traits a process remembers: a few MB at most, as none is longer than the bound.
REMEMBERED_USER_AGENTS = 4096
# Viewport widths (CSS px) below which a page is laid out for phones and tablets, as in Bootstrap.
MOBILE_MAX_WIDTH = 576
TABLET_MAX_WIDTH = 992
UNKNOWN_BROWSER = "Other"
# ua-parser encodes the user agent as UTF-8, which a lone surrogate cannot be. No browser sends one (WSGI
# servers decode headers as Latin-1); a Python caller can.
SURROGATE = re.compile(r"[\ud800-\udfff]")
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
    if not user_agent or len(user_agent) > USER_AGENT_MAX_LENGTH or SURROGATE.search(user_agent):
        return UNKNOWN_BROWSER
    found = parse_user_agent(user_agent)
    family = printable(found.family)[:BROWSER_MAX_LENGTH].strip() if found is not None else ""
    return family or UNKNOWN_BROWSER


def device_type(*, width: int | None, user_agent: str) -> str:
    """The viewport width says how the page was actually laid out; the user agent is the fallback."""
    return device_type_for_width(width) or device_type_for_user_agent(user_agent)


def device_type_for_width(width: int | None) -> str | None:
    if width is None:
        return None
    if width < MOBILE_MAX_WIDTH:
        return DeviceType.MOBILE
    if width < TABLET_MAX_WIDTH:
        return DeviceType.TABLET
    return DeviceType.DESKTOP


def device_type_for_user_agent(user_agent: str) -> str:
    user_agent = user_agent[:USER_AGENT_MAX_LENGTH].lower()
    if TABLET_UA.search(user_agent) or ("android" in user_agent and "mobi" not in user_agent):
        return DeviceType.TABLET
    if MOBILE_UA.search(user_agent):
        return DeviceType.MOBILE
    return DeviceType.DESKTOP


@dataclass(frozen=True)
class UserAgentTraits:
    """What the functions above say of one user agent: `device_type` is the guess used when no width is sent.

    Nothing more is worked out for a bot (`browser` and `device_type` are empty): it is not recorded.
    """

    bot: bool
    browser: str
    device_type: str


def user_agent_traits(user_agent: str) -> UserAgentTraits:
    """`is_bot`, `browser_family` and `device_type_for_user_agent` together, remembered per user agent.

    Only user agents up to the bound are remembered (a longer one is a bot at the cost of
    a length check), so the memory stays small; a flood of made-up user agents only
    pushes the real ones out, costing what every event cost before. Off with the other
    fast paths (`GLIMPSE_FAST_PATHS`).
    """
    if len(user_agent) > USER_AGENT_MAX_LENGTH or not fast_paths_enabled():
        return traits_of(user_agent)
    return remembered_traits_of(user_agent)


def traits_of(user_agent: str) -> UserAgentTraits:
    if is_bot(user_agent):
        return UserAgentTraits(bot=True, browser="", device_type="")
    return UserAgentTraits(
        bot=False,
        browser=browser_family(user_agent),
        device_type=device_type_for_user_agent(user_agent),
    )


remembered_traits_of = lru_cache(maxsize=REMEMBERED_USER_AGENTS)(traits_of)
register_reset("user agent traits", remembered_traits_of.cache_clear)
