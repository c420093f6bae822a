import pytest
from django.core.exceptions import ValidationError

from customers.validators import validate_bank_account as validate_iban
from customers.validators import validate_nip, validate_regon
from home.models import CompanySettings


@pytest.mark.parametrize("value", ["5260250274", "526-025-02-74", "PL5260250274"])
def test_valid_nip_passes(value):
    validate_nip(value)


@pytest.mark.parametrize("value", ["5260250275", "12345", "abcdefghij"])
def test_invalid_nip_names_the_rule(value):
    with pytest.raises(ValidationError, match="NIP"):
        validate_nip(value)


def test_regon_checksum_is_enforced():
    validate_regon("012345675")
    with pytest.raises(ValidationError, match="REGON"):
        validate_regon("012345676")


@pytest.mark.parametrize(
    "value", ["PL61109010140000071219812874", "61 1090 1014 0000 0712 1981 2874"]
)
def test_bank_account_accepts_iban_and_bare_nrb(value):
    validate_iban(value)


def test_bank_account_with_a_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError, match="numer rachunku bankowego"):
        validate_iban("62109010140000071219812874")


def test_company_settings_store_compact_numbers_and_format_them(home_page):
    company = CompanySettings.objects.get()
    company.nip = "526-025-02-74"
    company.bank_account = "PL61 1090 1014 0000 0712 1981 2874"
    company.full_clean()
    assert company.nip == "5260250274"
    assert company.bank_account == "PL61109010140000071219812874"
    assert company.formatted_nip == "526-025-02-74"
    assert company.formatted_bank_account == "61 1090 1014 0000 0712 1981 2874"


def test_company_settings_with_bad_nip_does_not_validate(home_page):
    company = CompanySettings.objects.get()
    company.nip = "1234567890"
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert "nip" in error.value.message_dict
