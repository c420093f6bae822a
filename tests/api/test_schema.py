"""The committed OpenAPI schema is what the code generates: an API change comes with its schema."""

from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "v1.yaml"


def test_the_committed_schema_is_current(tmp_path):
    generated = tmp_path / "v1.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--lang", "en")
    assert generated.read_text() == SCHEMA.read_text(), (
        "The API changed: run `.venv/bin/python manage.py spectacular --lang en --file openapi/v1.yaml "
        "--validate` and commit the schema."
    )
