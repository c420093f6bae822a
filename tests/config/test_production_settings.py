"""Production settings are checked in a fresh interpreter, as a deployment would load them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "p" * 10 + "Q7x!v2#Lm9@Rk4$Tz8&Wn3*Hs6^Jd1(Fb5)Gc0-Yu" + "e" * 10

REQUIRED = {
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "ebok.example.pl",
    "DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'deploy-check.sqlite3'}",
}


def _manage(*args, env):
    # Only what a deployment would have: none of the test run's own variables.
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_deploy_check_finds_nothing():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=REQUIRED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in REQUIRED.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_refuses_the_sandbox_payment_provider():
    result = _manage("check", env={**REQUIRED, "PAYMENT_PROVIDERS": "payu,sandbox"})
    assert result.returncode != 0
    assert "sandbox provider is for demos only" in result.stderr
