import pytest
from django.core.cache import cache
from wagtail.models import Page, Site

from tests.factories import CompanySettingsFactory, HomePageFactory


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Wagtail caches site root paths across test rollbacks; every test starts clean."""
    cache.clear()
    Site.clear_site_root_paths_cache()
    yield
    cache.clear()


@pytest.fixture
def home_page(db):
    """The default site rooted at a published HomePage, with the company's details."""
    root = Page.get_first_root_node()
    home = HomePageFactory(parent=root)
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    CompanySettingsFactory(site=site)
    return home
