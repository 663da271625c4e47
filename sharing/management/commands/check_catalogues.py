"""Fail on a string that some shipped catalogue does not translate, and on a catalogue that does not compile.

`make test` runs it (and so `.ci/run`). It extracts the strings as `makemessages` would (GNU gettext's
xgettext and msgmerge do the work, so Debian's `gettext` package must be installed), reads every shipped
catalogue in locale/, and puts the .po files back as they were: the check never edits the tree. Each
catalogue must translate every string (plural forms included), carry no fuzzy entry, keep every
placeholder of its source string, and match its committed .mo file, compiled by Babel (`make messages`).
"""

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import to_locale

# Trees whose strings no reader sees: the virtualenv, generated files, tests, benches, docs.
IGNORED = [".venv/*", "var/*", "staticfiles/*", "node_modules/*", "tests/*", "bench/*", "docs/*", "deploy/*"]


def shipped_locales() -> list[str]:
    """Every language in settings.LANGUAGES but the source language, in gettext's spelling (`pt_BR`)."""
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue_path(locale: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES" / "django.po"


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def problems_of(locale: str, catalog: Catalog) -> list[str]:
    found = []
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy:
            found.append(f"{locale}: fuzzy translation of {source!r}")
        elif not all(strings):
            found.append(f"{locale}: no translation of {source!r}")
    for message, errors in catalog.check():
        found += [f"{locale}: {message.id!r}: {error}" for error in errors]
    return found


def extract_into_catalogues(locales: list[str]) -> None:
    call_command(
        "makemessages", locale=locales, ignore_patterns=IGNORED, no_location=True, no_obsolete=True, verbosity=0
    )


class Command(BaseCommand):
    help = "Check that every shipped catalogue translates every string and compiles to its committed .mo file."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--update", action="store_true", help="Keep the freshly extracted .po files (to translate new strings)"
        )

    def handle(self, *args, **options) -> None:
        locales = shipped_locales()
        problems: list[str] = []
        originals = {path: path.read_bytes() for path in map(catalogue_path, locales) if path.exists()}
        try:
            extract_into_catalogues(locales)
            for locale in locales:
                with catalogue_path(locale).open("rb") as po:
                    problems += problems_of(locale, read_po(po, locale=locale))
        finally:
            if not options["update"]:
                for path, content in originals.items():
                    path.write_bytes(content)
        for locale in locales:
            path = catalogue_path(locale)
            if not path.exists():
                problems.append(f"{locale}: no catalogue at {path}")
                continue
            with path.open("rb") as po:
                catalog = read_po(po, locale=locale)
            mo = path.with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != compiled(catalog):
                problems.append(f"{locale}: {mo} is missing or stale; run `make messages`")
        if problems:
            raise CommandError("Catalogues incomplete:\n  " + "\n  ".join(problems))
        self.stdout.write(f"All {len(locales)} catalogues translate every string and compile.")
