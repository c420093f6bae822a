"""Customer records left Wagtail's reference index (they link no page, document or image
staff would look up as a usage); their rows there would only show as stale usages."""

from django.db import migrations

UNINDEXED = {
    "customers": [
        "auditevent",
        "usersession",
        "messagereceipt",
        "shipment",
        "personalaccesstoken",
        "activationcode",
        "membership",
        "invitation",
        "customer",
        "servicepoint",
        "changerequest",
        "contractacceptance",
        "user",
    ],
    "billing": [
        "invoice",
        "invoiceline",
        "advanceinstalment",
        "payment",
        "allocation",
        "bankcredit",
        "onlinepayment",
    ],
    "metering": ["meter", "reading", "readingreminder"],
    "servicedesk": ["request", "message", "attachment", "event", "costitem", "orderline"],
    "notifications": ["delivery", "preference", "consent"],
    "integrations": ["importrun"],
}


def forget(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    for app_label, models in UNINDEXED.items():
        types = ContentType.objects.filter(app_label=app_label, model__in=models)
        ReferenceIndex.objects.filter(content_type__in=types).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_inbox_to_everyone_index"),
        ("billing", "0003_bank_credits"),
        ("metering", "0001_initial"),
        ("servicedesk", "0002_request_type_position_label"),
        ("notifications", "0002_delivery_response_code_alter_delivery_channel_and_more"),
        ("integrations", "0002_import_files_private"),
        ("wagtailcore", "0078_referenceindex"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
