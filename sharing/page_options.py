"""How a share page is presented, from its query string: embed mode, colour theme, transparent background,
language (`lang`, chosen in config.reader_language; kept here so every link of the page carries it on).

These change only the look, never the numbers, and unknown values fall back to the defaults
(as unknown parameters are ignored), so a hand-edited URL never breaks a page.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict

from analytics.periods import Period
from config.reader_language import LANG_PARAMETER, supported_language

THEMES = ("auto", "light", "dark")
COLOR_SCHEMES = {"auto": "light dark", "light": "light", "dark": "dark"}


@dataclass(frozen=True)
class PageOptions:
    embed: bool = False
    theme: str = "auto"
    transparent: bool = False
    language: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> "PageOptions":
        theme = query.get("theme", "auto")
        return cls(
            embed=query.get("embed") == "1",
            theme=theme if theme in THEMES else "auto",
            transparent=query.get("background") == "transparent",
            language=supported_language(query.get(LANG_PARAMETER)) or "",
        )

    @property
    def color_scheme(self) -> str:
        """What `<meta name="color-scheme">` says, so form controls and scrollbars follow the theme too."""
        return COLOR_SCHEMES[self.theme]

    def query(self, **first: str) -> str:
        """`?period=30d&embed=1&theme=dark`: `first`, then only the options that differ from the defaults."""
        params = dict(first)
        if self.embed:
            params["embed"] = "1"
        if self.theme != "auto":
            params["theme"] = self.theme
        if self.transparent:
            params["background"] = "transparent"
        if self.language:
            params[LANG_PARAMETER] = self.language
        return f"?{urlencode(params)}" if params else ""

    def period_url(self, period: Period) -> str:
        """Plain relative links (`?period=30d`) that keep the presentation."""
        return self.query(period=period.value)
