"""A drill node's clock: `DRILL_CLOCK_OFFSET_SECONDS` shifts its process's `timezone.now`; 0 leaves Django's own."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
# How far the process's `timezone.now` is from the system clock, in whole seconds.
MEASURE = (
    "import datetime as dt, django; django.setup(); from django.utils import timezone; "
    "print(round((timezone.now() - dt.datetime.now(dt.UTC)).total_seconds()))"
)


def test_an_offset_moves_timezone_now_both_ways(node_clock):
    node_clock(-3)
    behind = timezone.now()
    system = dt.datetime.now(dt.UTC)
    node_clock(3)
    ahead = timezone.now()
    system_after = dt.datetime.now(dt.UTC)

    assert dt.timedelta(seconds=3) <= system - behind < dt.timedelta(seconds=3.5)
    assert dt.timedelta(seconds=2.5) < ahead - system_after <= dt.timedelta(seconds=3)


def test_no_offset_is_django_s_own_clock(node_clock):
    original = timezone.now
    node_clock(3)
    node_clock(0)

    assert timezone.now is original


@pytest.mark.parametrize(("offset", "shift"), [("-3", -3), ("2.5", 2), ("0", 0)])
def test_the_environment_variable_shifts_the_process_s_clock(offset, shift):
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DRILL_CLOCK_OFFSET_SECONDS": offset,
    }
    done = subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, env=environment, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == shift
