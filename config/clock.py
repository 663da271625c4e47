"""Drills only: this process's wall clock, shifted by a few seconds (`DRILL_CLOCK_OFFSET_SECONDS`).

The topology drill runs its web nodes and workers on one machine, and several machines' clocks are a
few seconds apart: each process is started with its own offset. Every wall-clock reading of the app
goes through `django.utils.timezone.now` (intervals and sleeps use the monotonic clock), so that one
function is shifted and nothing else; a process-wide fake clock (libfaketime) also shifts the clocks
gunicorn's arbiter sleeps and times its workers by. Production never sets the offset: the function is
then Django's own.
"""

import datetime as dt

from django.utils import timezone

_system_now = timezone.now


def set_clock_offset(seconds: float) -> None:
    """Make `timezone.now` run `seconds` ahead of this machine's clock (behind when negative); 0 restores it."""
    if not seconds:
        timezone.now = _system_now
        return
    offset = dt.timedelta(seconds=seconds)

    def shifted_now() -> dt.datetime:
        return _system_now() + offset

    timezone.now = shifted_now
