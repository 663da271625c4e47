"""The short Hypothesis profile runs a tenth of the examples a test states; the full one, in CI, all of them."""

import contextlib
import pathlib
import re

import pytest
from hypothesis import settings

from tests.hypothesis_profiles import examples

TESTS = pathlib.Path(__file__).resolve().parent
CI_SCRIPT = TESTS.parent / ".ci" / "run"


@contextlib.contextmanager
def profile(name: str):
    before = settings.get_current_profile_name()
    settings.load_profile(name)
    try:
        yield
    finally:
        settings.load_profile(before)


@pytest.mark.parametrize(("stated", "short", "full"), [(500, 50, 500), (40, 4, 40), (5, 1, 5)])
def test_a_stated_number_of_examples_is_the_full_runs_and_shrinks_in_the_short_profile(stated, short, full):
    with profile("dev"):
        assert examples(stated) == short
        assert settings.default.max_examples == 10
    with profile("ci"):
        assert examples(stated) == full
        assert settings.default.max_examples == 100


def test_both_suite_runs_in_ci_use_the_full_profile():
    runs = [line for line in CI_SCRIPT.read_text().splitlines() if line.rstrip().endswith("make test")]

    assert len(runs) == 2
    assert all("HYPOTHESIS_PROFILE=ci" in line for line in runs)


def test_no_test_states_a_fixed_number_of_examples():
    """A count stated through `examples(…)` scales with the profile; a bare number would run in full every time."""
    fixed = re.compile(r"max_examples\s*=\s*\d")

    assert [path.name for path in TESTS.rglob("*.py") if fixed.search(path.read_text())] == []
