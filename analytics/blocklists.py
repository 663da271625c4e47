"""Which events are spam: a kept list of referrer spammers, and each site's own list of sources and paths.

Referrer spam (a fake visit whose referrer advertises the spammer) is matched against a
community list of spammer hosts shipped by a package (`django-blockreferralspam`'s copy
of Matomo's `spammers.txt`, read as data: none of that package's code is used).
`REFERRER_SPAM_LIST_FILE` names a newer copy of the same one-host-per-line format, so the
list is updated without a release; the lists are read once per process.

An owner lists sources and paths in the site's admin page (`Site.blocked_sources`,
`Site.blocked_paths`). A source entry matches a session source, case-insensitively, as
a value (`utm_source=Cheap-pills`) or as a host with its subdomains (`spam.example`
blocks `www.spam.example`); a path entry matches one path, or with a trailing `*` every
path it starts. Matching events are dropped at ingestion, before they are queued; what
was stored before the entry was added is removed by `analytics.spam_removal`.
"""

import functools
import importlib.resources
from pathlib import Path

from django.conf import settings

SPAM_LIST_PACKAGE = "blockreferralspam"
SPAM_LIST_RESOURCE = "spammers.txt"
PREFIX = "*"


def entries(text: str) -> list[str]:
    """The entries of an owner's list: one per line, blank lines and surrounding spaces left out, in order."""
    found: list[str] = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and entry not in found:
            found.append(entry)
    return found


def source_entries(text: str) -> list[str]:
    return [entry.lower() for entry in entries(text)]


def source_matches(source: str, blocked: list[str]) -> bool:
    source = source.lower()
    return any(source == entry or source.endswith("." + entry) for entry in blocked)


def path_matches(path: str, blocked: list[str]) -> bool:
    return any(path.startswith(entry[:-1]) if entry.endswith(PREFIX) else path == entry for entry in blocked)


@functools.cache
def referrer_spammers() -> frozenset[str]:
    """The kept list's hosts, and those of `REFERRER_SPAM_LIST_FILE` when set (read once per process)."""
    text = importlib.resources.files(SPAM_LIST_PACKAGE).joinpath(SPAM_LIST_RESOURCE).read_text(encoding="utf-8")
    if settings.REFERRER_SPAM_LIST_FILE:
        text += "\n" + Path(settings.REFERRER_SPAM_LIST_FILE).read_text(encoding="utf-8")
    return frozenset(entry.lower() for entry in entries(text) if not entry.startswith("#"))


def is_referrer_spam(source: str) -> bool:
    """Whether `source` (a host as `session_source` gives it) is a listed spammer or a subdomain of one."""
    spammers = referrer_spammers()
    labels = source.lower().split(".")
    return any(".".join(labels[start:]) in spammers for start in range(len(labels) - 1))


def is_blocked(*, source: str, path: str, blocked_sources: str, blocked_paths: str) -> bool:
    """Whether an event from `source` on `path` is spam, by the kept list or the site's own lists."""
    if is_referrer_spam(source):
        return True
    if blocked_sources and source_matches(source, source_entries(blocked_sources)):
        return True
    return bool(blocked_paths) and path_matches(path, entries(blocked_paths))
