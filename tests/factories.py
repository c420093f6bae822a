import factory
import wagtail_factories
from django.contrib.auth import get_user_model
from wagtail.models import Site

from home.models import CompanySettings, HomePage, StandardPage

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.pl")
    first_name = "Anna"
    last_name = "Nowak"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "Okienko"
    slug = "portal"
    hero_title = "Twoje sprawy z nami"
    hero_text = "Faktury, odczyty i zgłoszenia w jednym miejscu."


class StandardPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"Strona {n}")
    intro = "Wprowadzenie"


class CompanySettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanySettings

    site = factory.LazyFunction(lambda: Site.objects.get(is_default_site=True))
    name = "Okienko Energia Sp. z o.o."
    street = "ul. Elektryczna 12"
    postal_code = "00-950"
    city = "Warszawa"
    nip = "5260250274"
    regon = "012345675"
    bank_account = "PL61109010140000071219812874"
    phone = "+48 22 100 20 30"
    email = "bok@example.pl"
