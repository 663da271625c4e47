"""State a process keeps for speed (local copies, pending counts, compiled queries), resettable in one call.

Each module holding such state registers how to drop it, as Django's admin collects
`ModelAdmin`s by registration: the modules below need not know who registers, so
imports keep running one way (sharing → analytics). Tests start from a clean process
with `reset_process_state()`; `settings.GLIMPSE_FAST_PATHS = False` turns the fast
paths off altogether (plain ORM lookups, no local copies), for debugging and upgrades.
"""

from collections.abc import Callable

from django.conf import settings

_resets: dict[str, Callable[[], None]] = {}


def register_reset(name: str, reset: Callable[[], None]) -> None:
    """Make `reset_process_state` call `reset`; registering a name again replaces its function."""
    _resets[name] = reset


def reset_process_state() -> None:
    for reset in _resets.values():
        reset()


def fast_paths_enabled() -> bool:
    return settings.GLIMPSE_FAST_PATHS
