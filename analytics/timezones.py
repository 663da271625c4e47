"""The time zones a site may choose: real IANA places, not the aliases and oddities a tz database also holds."""

import zoneinfo
from functools import cache

# tzdata's geographic areas. Everything else it ships is a legacy alias (`US/Eastern`, `Cuba`), a fixed
# offset (`Etc/GMT+5`, `EST`) or not a zone at all (`Factory`, `localtime`, `posixrules`).
AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@cache
def site_timezone_names() -> tuple[str, ...]:
    """`UTC` first, then every `Area/Place` zone, sorted."""
    places = sorted(name for name in zoneinfo.available_timezones() if name.split("/", 1)[0] in AREAS and "/" in name)
    return ("UTC", *places)
