"""What kind of client sent a request: a bot or not, its browser family and its device type."""

import re

from crawlerdetect import CrawlerDetect
from ua_parser import parse_user_agent

from analytics.models import DeviceType

# Automation that crawlerdetect does not always flag: headless browsers and their drivers.
HEADLESS = re.compile(r"headless|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver", re.IGNORECASE)
TABLET_UA = re.compile(r"ipad|tablet|kindle|silk|playbook|sm-t\d|nexus (7|9|10)", re.IGNORECASE)
MOBILE_UA = re.compile(r"mobi|iphone|ipod|android|blackberry|windows phone|opera mini", re.IGNORECASE)
# Viewport widths (CSS px) below which a page is laid out for phones and tablets, as in Bootstrap.
MOBILE_MAX_WIDTH = 576
TABLET_MAX_WIDTH = 992
UNKNOWN_BROWSER = "Other"

crawler_detect = CrawlerDetect()


def is_bot(user_agent: str) -> bool:
    """Every browser sends a user agent, so a request without one is automation too."""
    if not user_agent.strip():
        return True
    return bool(HEADLESS.search(user_agent)) or crawler_detect.isCrawler(user_agent)


def browser_family(user_agent: str) -> str:
    """The family name from ua-parser (`Chrome`, `Firefox`, `Mobile Safari`, …); `Other` when unknown."""
    family = parse_user_agent(user_agent) if user_agent else None
    return family.family if family is not None else UNKNOWN_BROWSER


def device_type(*, width: int | None, user_agent: str) -> str:
    """The viewport width says how the page was actually laid out; the user agent is the fallback."""
    if width is not None:
        if width < MOBILE_MAX_WIDTH:
            return DeviceType.MOBILE
        if width < TABLET_MAX_WIDTH:
            return DeviceType.TABLET
        return DeviceType.DESKTOP
    if TABLET_UA.search(user_agent) or ("android" in user_agent.lower() and "mobi" not in user_agent.lower()):
        return DeviceType.TABLET
    if MOBILE_UA.search(user_agent):
        return DeviceType.MOBILE
    return DeviceType.DESKTOP
