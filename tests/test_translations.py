"""Polish is the first language: every string has a Polish translation, compiled."""

import gettext
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

LOCALE = Path(__file__).resolve().parents[1] / "locale"


@pytest.fixture(scope="module")
def polish():
    return polib.pofile(str(LOCALE / "pl" / "LC_MESSAGES" / "django.po"))


def test_every_string_has_a_polish_translation(polish):
    untranslated = [entry.msgid for entry in polish.untranslated_entries()]
    fuzzy = [entry.msgid for entry in polish.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source(polish):
    with open(LOCALE / "pl" / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [
        entry.msgid
        for entry in polish.translated_entries()
        if not entry.msgid_plural
        and (
            catalogue.pgettext(entry.msgctxt, entry.msgid)
            if entry.msgctxt
            else catalogue.gettext(entry.msgid)
        )
        != entry.msgstr
    ]
    assert stale == [], "run `make messages` to recompile the catalogues"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalogue_holds_every_string_of_the_code_and_templates(polish):
    """A string added since the last `make messages` would reach people untranslated."""
    po_file = LOCALE / "pl" / "LC_MESSAGES" / "django.po"
    original = po_file.read_bytes()
    try:
        call_command(
            "makemessages",
            locale=["pl"],
            ignore_patterns=[".venv/*", "staticfiles/*", "tests/*", "var/*"],
            no_obsolete=True,
            verbosity=0,
        )
        extracted = {entry.msgid for entry in polib.pofile(str(po_file))}
    finally:
        po_file.write_bytes(original)
    known = {entry.msgid for entry in polish}
    assert sorted(extracted - known) == [], "run `make messages` and translate the new strings"
