"""Production installs requirements.txt alone; the tests and tools live in requirements-dev.txt."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pinned_names(path: Path) -> dict[str, str]:
    """Package names (lower case) to the whole line, for every requirement line of a file."""
    names = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith(("#", "-r ")):
            continue
        names[line.split("==")[0].lower().replace("_", "-")] = line
    return names


def test_production_requirements_hold_no_test_or_development_tool():
    production = pinned_names(ROOT / "requirements.txt")

    for tool in ["pytest", "pytest-django", "ruff", "playwright", "schemathesis", "hypothesis", "factory-boy"]:
        assert tool not in production


def test_development_requirements_add_the_tools_on_top_of_production():
    development_text = (ROOT / "requirements-dev.txt").read_text()
    development = pinned_names(ROOT / "requirements-dev.txt")

    assert "-r requirements.txt" in development_text.splitlines()
    for tool in ["pytest", "pytest-django", "ruff", "playwright", "schemathesis", "hypothesis", "factory-boy"]:
        assert tool in development
    assert not set(development) & set(pinned_names(ROOT / "requirements.txt"))


def test_every_requirement_is_pinned_exactly():
    for name in ["requirements.txt", "requirements-dev.txt"]:
        for line in pinned_names(ROOT / name).values():
            assert "==" in line, line
