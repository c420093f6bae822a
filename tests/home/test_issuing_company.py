"""The company that issues documents is read once, not on every PDF download."""

import pytest
from wagtail.models import Site

from documents.pdf.company import issuing_company
from home.models import CompanySettings
from home.wagtail_hooks import DEMO_COMPANY

pytestmark = pytest.mark.django_db


def test_the_company_comes_from_the_cache_until_its_settings_change(
    home_page, django_assert_num_queries
):
    settings, _ = CompanySettings.objects.update_or_create(
        site=Site.objects.get(is_default_site=True), defaults=DEMO_COMPANY
    )
    assert issuing_company().name == DEMO_COMPANY["name"]
    with django_assert_num_queries(0):
        assert issuing_company().name == DEMO_COMPANY["name"]

    settings.name = "Okienko Woda Sp. z o.o."
    settings.save()
    assert issuing_company().name == "Okienko Woda Sp. z o.o."


def test_without_company_details_documents_cannot_be_issued(home_page):
    CompanySettings.objects.all().delete()
    with pytest.raises(LookupError):
        issuing_company()
