"""The committed OpenAPI schema is what the code generates: an API change comes with its schema."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "v1.yaml"

# The bounds of integer fields come from the database backend (SQLite's are 64-bit,
# PostgreSQL's 32- and 16-bit); the comparison leaves numeric bounds out so the committed
# schema does not depend on where it was made.
BACKEND_BOUNDS = re.compile(r"^\s*(maximum: -?\d+|minimum: -?\d+|format: int64)\n", re.MULTILINE)


def _portable(text: str) -> str:
    return BACKEND_BOUNDS.sub("", text)


def test_the_committed_schema_is_current(tmp_path):
    generated = tmp_path / "v1.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--lang", "en")
    assert _portable(generated.read_text()) == _portable(SCHEMA.read_text()), (
        "The API changed: run `.venv/bin/python manage.py spectacular --lang en "
        "--file openapi/v1.yaml --validate` and commit the schema."
    )
