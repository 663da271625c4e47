"""Hypothesis profiles: a short one by default, so the suite's inner loop stays quick on a shared machine,
and the full one where `HYPOTHESIS_PROFILE=ci` (`.ci/run` sets it for both suite runs).

A test that asks for a number of examples states the full run's number through `examples(…)`, which
scales it by the profile in force; a bare `@settings(max_examples=…)` would ignore the profile and
run the full number every time. An unknown profile name stops the run rather than falling back.
"""

import os

from hypothesis import settings

FULL_EXAMPLES = 100  # hypothesis's own default
SHORT_EXAMPLES = 10

settings.register_profile("ci", max_examples=FULL_EXAMPLES)
settings.register_profile("dev", max_examples=SHORT_EXAMPLES)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(full: int) -> int:
    """`full` under the full profile; in proportion to the loaded profile's `max_examples` otherwise (at least 1)."""
    return max(1, full * settings.default.max_examples // FULL_EXAMPLES)
