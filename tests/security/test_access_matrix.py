"""The access matrix: every route of the URL resolver, asked by five readers, answers as
the table below says, and never shows a reader what is not theirs.

Readers: a stranger, customer A's owner, customer B's owner, A's billing-only user and a
staff user who may enter the Wagtail admin but holds no other permission. Each route is
asked for A's objects, B's objects and ids that are nobody's (random UUIDs, the
neighbours of a private document's or image's number). Routes are gathered from the
resolver, so a new one fails `test_every_route_is_in_the_matrix` until it is given a row.
An admin action that answers a GET with 405 is asked by POST too. No answer, allowed or
refused, may contain what its reader must not see (the other customer's numbers, e-mails,
invoice numbers, meter serials, request and message subjects; a segment's private page
and document text; for the billing-only user, the meters). The count of probes per
reader and answer is written to artifacts/access-matrix.txt.
"""

import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import verify_with_second_factor
from tests.security.matrix_world import build_matrix_world
from tests.security.test_idor import CUSTOMER_NAMESPACES, OBJECT_KWARGS

REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "access-matrix.txt"
ROLES = ("anonymous", "owner A", "owner B", "billing A", "staff")


def _walk(patterns, prefix, namespace, found):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            _walk(entry.url_patterns, prefix + str(entry.pattern), inner, found)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = pattern
            kwargs = tuple(sorted(set(entry.pattern.regex.groupindex) - {"format"}))
            if not entry.pattern.regex.groupindex and entry.pattern.regex.groups:
                kwargs = ("<positional>",)
            found.append((key, kwargs, pattern))


def all_routes() -> list[tuple[str, tuple[str, ...], str]]:
    """(row name, keyword names, pattern) for every route of the resolver, once each; the
    DRF ".json" variant of a route is the route itself (it reverses to the same URL)."""
    found = []
    _walk(get_resolver().url_patterns, "/", None, found)
    seen, routes = set(), []
    for key, kwargs, pattern in found:
        if (key, kwargs) not in seen:
            seen.add((key, kwargs))
            routes.append((key, kwargs, pattern))
    return routes


# Which model's rows a route's object ids name, by the route's namespace or name.
ROUTE_MODELS = {
    "wagtailadmin_pages": "wagtailcore.page",
    "wagtailadmin_api:pages": "wagtailcore.page",
    "wagtailapi:pages": "wagtailcore.page",
    "wagtailadmin_explore": "wagtailcore.page",
    "wagtailadmin_explore_results": "wagtailcore.page",
    "wagtailadmin_choose_page_child": "wagtailcore.page",
    "wagtailforms": "wagtailcore.page",
    "wagtailadmin_workflows:remove": "wagtailcore.page",
    "wagtailcore_authenticate_with_password": "wagtailcore.page",
    "wagtaildocs": "wagtaildocs.document",
    "wagtaildocs_chooser": "wagtaildocs.document",
    "wagtailadmin_api:documents": "wagtaildocs.document",
    "wagtailapi:documents": "wagtaildocs.document",
    "wagtaildocs_serve": "wagtaildocs.document",
    "wagtailimages": "wagtailimages.image",
    "wagtailimages_chooser": "wagtailimages.image",
    "wagtailadmin_api:images": "wagtailimages.image",
    "wagtailapi:images": "wagtailimages.image",
    "wagtailadmin_collections": "wagtailcore.collection",
    "wagtaildocs_authenticate_with_password": "wagtailcore.collection",
    "wagtailusers_users": "customers.user",
    "wagtailusers_groups": "auth.group",
    "customers_access_batch": "customers.accessbatch",
    "customers_access_batch_letters": "customers.accessbatch",
    "customers_view_as": "customers.customer",
    "customers_decide_change_request": "customers.changerequest",
    "customers_inbox_send": "customers.inboxmessage",
    "customers_inbox_receipts": "customers.inboxmessage",
    "metering_review": "metering.reading",
    "metering_photo": "metering.reading",
    "servicedesk_slot_propose": "servicedesk.request",
    "servicedesk_slot_cancel": "servicedesk.request",
    "servicedesk_cost_add": "servicedesk.request",
    "servicedesk_request": "servicedesk.request",
    "servicedesk_attachment": "servicedesk.request",
    "servicedesk_slot_confirm": "servicedesk.appointmentslot",
    "servicedesk_cost_delete": "servicedesk.costitem",
    "integrations_import_detail": "integrations.importrun",
    "integrations_webhook_log": "integrations.webhookendpoint",
    "integrations_webhook_redeliver": "integrations.webhookendpoint",
    "integrations_webhook_rotate": "integrations.webhookendpoint",
}

# A customer's row of each model, for the admin's object ids.
SIDE_ROWS = {
    "customers.customer": lambda side: side.customer,
    "customers.servicepoint": lambda side: side.service_point,
    "customers.membership": lambda side: side.owner_membership,
    "customers.segment": lambda side: side.group.segment,
    "customers.contract": lambda side: side.contracts[0],
    "customers.contractdocument": lambda side: side.documents[0],
    "customers.changerequest": lambda side: side.change_request,
    "customers.auditevent": lambda side: side.audit_event,
    "customers.inboxmessage": lambda side: side.messages[0],
    "customers.shipment": lambda side: side.shipment,
    "customers.accessbatch": lambda side: side.access_batch,
    "customers.user": lambda side: side.owner,
    "auth.group": lambda side: side.group,
    "billing.invoice": lambda side: side.invoices[0],
    "billing.payment": lambda side: side.payment,
    "billing.bankcredit": lambda side: side.bank_credit,
    "metering.meter": lambda side: side.meters[0],
    "metering.reading": lambda side: side.readings[0],
    "servicedesk.requesttype": lambda side: side.request_types[0],
    "servicedesk.workingcalendar": lambda side: side.request_types[0].calendar,
    "servicedesk.request": lambda side: side.requests[0],
    "servicedesk.appointmentslot": lambda side: side.slots[0],
    "servicedesk.costitem": lambda side: side.requests[0].cost_items.get(),
    "notifications.delivery": lambda side: side.delivery,
    "notifications.consent": lambda side: side.consent,
    "wagtailcore.page": lambda side: side.private_page,
    "wagtailcore.collection": lambda side: side.collection,
    "wagtaildocs.document": lambda side: side.private_document,
    "wagtailimages.image": lambda side: side.private_image,
}
# Keywords that name an object of the route's model.
OBJECT_ID_KWARGS = {
    "pk",
    "instance_pk",
    "page_id",
    "parent_page_id",
    "page_to_move_id",
    "page_pk",
    "document_id",
    "doc_id",
    "image_id",
    "collection_id",
    "batch_id",
    "<positional>",
}
# Keywords that are not an object of a customer: the same value for every probe.
FIXED_KWARGS = {
    "destination_id": lambda world: world.home.pk,
    "revision_id_a": lambda world: "earliest",
    "revision_id_b": lambda world: "latest",
    "task_state_id": lambda world: 1,
    "task_id": lambda world: 1,
    "workflow_state_id": lambda world: 1,
    "workflow_pk": lambda world: 1,
    "session_id": lambda world: 1,
    "object_id": lambda world: str(world.a.private_page.pk),
    "uploaded_file_id": lambda world: 1,
    "delivery_pk": lambda world: 1,
    "redirect_id": lambda world: 1,
    "kind": lambda world: "invoices",
    "filter_spec": lambda world: "original",
    "uidb64": lambda world: "MQ",
    "token": lambda world: "zly-token",
    "provider": lambda world: "sandbox",
    "content_type_app_name": lambda world: "home",
    "content_type_model_name": lambda world: "standardpage",
    "action_name": lambda world: "copy",
    "action": lambda world: "delete",
}
# Per route, keywords whose value depends on the route.
ROUTE_KWARGS = {
    "wagtail_bulk_action": {"app_label": "wagtailcore", "model_name": "page"},
    "wagtailadmin_tag_model_autocomplete": {"app_name": "wagtaildocs", "model_name": "document"},
    "wagtailsettings:edit": {"app_name": "home", "model_name": "companysettings"},
    "wagtailsettings:preview_on_edit": {"app_name": "home", "model_name": "companysettings"},
    "wagtailadmin_workflows:add_task": {"app_label": "wagtailcore", "model_name": "task"},
    "wagtailadmin_editing_sessions:ping": {"app_label": "wagtailcore", "model_name": "page"},
    "wagtailadmin_pages:choose_parent": {"app_label": "home", "model_name": "standardpage"},
}


def model_of(key: str) -> str | None:
    """The model whose rows a route's object ids name (None: not a model's row)."""
    import re

    namespace, _, name = key.rpartition(":")
    snippet = re.fullmatch(r"wagtailsnippet(?:s|choosers)_([a-z]+)_([a-z]+)", namespace)
    if snippet:
        return ".".join(snippet.groups())
    modeladmin = re.fullmatch(r"([a-z]+)_([a-z]+)_modeladmin_[a-z]+", name)
    if modeladmin:
        return ".".join(modeladmin.groups())
    for prefix in (key, namespace, namespace.rpartition(":")[0]):
        if prefix in ROUTE_MODELS:
            return ROUTE_MODELS[prefix]
    return None


def _label_of(world, model: str, pk) -> str:
    """Whose row `pk` of `model` is: "A", "B", "public", or "nobody"."""
    for label in ("A", "B"):
        getter = SIDE_ROWS.get(model)
        if getter and getter(getattr(world, label.lower())).pk == pk:
            return label
    public = {
        "wagtaildocs.document": world.public_document,
        "wagtailimages.image": world.public_image,
        "wagtailcore.page": world.public_page,
    }.get(model)
    if public is not None and public.pk == pk:
        return "public"
    return "nobody"


def _object_ids(world, model: str | None) -> list[tuple[str, object]]:
    """(whose, id) to ask a route for: A's row, B's row, then ids that are nobody's, or
    for documents and images the neighbours of each private one's number."""
    if model is None or model not in SIDE_ROWS:
        row = apps.get_model(model).objects.order_by("pk").first() if model else None
        shared = [("shared", row.pk)] if row is not None else []
        return [*shared, ("nobody", 987654)]
    ids = [(label, SIDE_ROWS[model](getattr(world, label.lower())).pk) for label in ("A", "B")]
    if model in ("wagtaildocs.document", "wagtailimages.image"):
        near = sorted({pk + step for _, pk in ids for step in (-1, 1)} - {pk for _, pk in ids})
        ids += [(_label_of(world, model, pk), pk) for pk in near]
    else:
        highest = apps.get_model(model).objects.order_by("-pk").values_list("pk", flat=True)[0]
        ids.append(("nobody", highest + 1))
    return ids


def _side(world, label):
    return getattr(world, label.lower()) if label in ("A", "B") else None


def _customer_targets(world, key, kwargs) -> list[tuple[str, dict]]:
    if "token" in kwargs:
        return [("nobody", {"token": "nie-ma-takiego-tokenu"})]
    if "import_id" in kwargs:
        return [
            ("shared", {"import_id": world.import_run.public_id}),
            ("nobody", {"import_id": uuid.uuid4()}),
        ]
    nobody = {k: ("nie-ma-takiego-typu" if k == "slug" else uuid.uuid4()) for k in kwargs}
    return [
        ("A", {k: OBJECT_KWARGS[k](world.a) for k in kwargs}),
        ("B", {k: OBJECT_KWARGS[k](world.b) for k in kwargs}),
        ("nobody", nobody),
    ]


def _admin_value(world, key, kwarg, label, pk):
    side = _side(world, label)
    if kwarg in OBJECT_ID_KWARGS:
        return pk
    if kwarg in ROUTE_KWARGS.get(key, {}):
        return ROUTE_KWARGS[key][kwarg]
    if kwarg == "attachment_id":
        return side.attachments[0].public_id if side else uuid.uuid4()
    if kwarg == "revision_id":
        return side.private_page.latest_revision_id if side else 987654
    if kwarg == "page_view_restriction_id":
        return side.page_restriction.pk if side else 987654
    if kwarg == "restriction_id":
        return side.collection_restriction.pk if side else 987654
    if kwarg == "payment_id":
        return side.online_payments[0].public_id if side else uuid.uuid4()
    return FIXED_KWARGS[kwarg](world)


def targets(world, key: str, kwargs: tuple[str, ...], pattern: str) -> list[tuple[str, str]]:
    """(whose object, URL) for each probe of a route; "none" when it names no object."""
    if key == "search":  # words of the segments' private pages
        return [("none", reverse(key) + "?q=poufny")]
    if key == "wagtailapi:pages:listing":  # with the private pages' text, were they listed
        url = reverse(key)
        return [("none", url), ("none", url + "?type=home.StandardPage&fields=intro")]
    if not kwargs:
        if key == pattern:  # an unnamed route: its pattern is its address
            return [("none", pattern.replace("^.*/$", "nie-ma-takiej-strony/"))]
        return [("none", reverse(key))]
    if key == "wagtail_serve":
        pages = [("A", world.a.private_page), ("B", world.b.private_page)]
        pages += [("public", world.public_page)]
        found = [(label, reverse(key, args=[page.url.strip("/") + "/"])) for label, page in pages]
        return [*found, ("nobody", reverse(key, args=["nie-ma-takiej-strony/"]))]
    if key == "wagtaildocs_serve":
        documents = {d.pk: d for d in apps.get_model("wagtaildocs.document").objects.all()}
        return [
            (label, reverse(key, args=[pk, documents[pk].filename if pk in documents else "x.pdf"]))
            for label, pk in _object_ids(world, "wagtaildocs.document")
            + [("public", world.public_document.pk)]
        ]
    if key == "sandbox_payment_page":
        kwargs = ("online_payment_id",)
    if key.partition(":")[0] in CUSTOMER_NAMESPACES or key == "sandbox_payment_page":
        found = _customer_targets(world, key, kwargs)
        if key == "sandbox_payment_page":
            found = [(label, {"payment_id": v["online_payment_id"]}) for label, v in found]
        return [(label, reverse(key, kwargs=values)) for label, values in found]
    model = model_of(key)
    if not set(kwargs) & (OBJECT_ID_KWARGS | {"attachment_id", "revision_id"}):
        values = {k: _admin_value(world, key, k, "none", None) for k in kwargs}
        return [("none", reverse(key, kwargs=values))]
    return [
        (label, reverse(key, kwargs={k: _admin_value(world, key, k, label, pk) for k in kwargs}))
        for label, pk in _object_ids(world, model)
    ]


# What a reader gets. A 302 is told apart by where it sends the reader.
OK, LOGIN, ADMIN_HOME, MOVED = "200", "302 to sign in", "302 to admin home", "302 elsewhere"
DENIED, ABSENT, NO_GET, BROKEN = "403", "404", "405", "500"
STAFF_REFUSED = frozenset({ADMIN_HOME, DENIED})
"""Wagtail's own views send staff without the permission home with a message; ours 403."""
STAFF_KEPT_OUT = STAFF_REFUSED | {ABSENT, NO_GET}
STAFF_POST = STAFF_REFUSED | {ABSENT}
"""An admin action (405 to a GET) asked by POST: refused, or its object not found."""
"""Wagtail's views of its own models (pages, documents, images, workflows…) may look the
object up, or the method, before the permission: not found and 405 are refusals too."""

# The cells of a row: per reader, one answer, or one per relation to the object asked
# for: "own" (the reader's customer's), "other" (the other customer's), "nobody" (no such
# object), "shared" (a back-office row of no customer), "public", "none" (no object).
CUSTOMER_READERS = ("owner A", "owner B", "billing A")


def _policy(anonymous, customer, staff, billing=None):
    row = {"anonymous": anonymous, "staff": staff}
    for reader in CUSTOMER_READERS:
        row[reader] = customer
    if billing is not None:
        row["billing A"] = billing
    return row


OWN_ONLY = {"own": OK, "other": ABSENT, "nobody": ABSENT, "none": OK}
SEGMENT_ONLY = {"own": OK, "other": DENIED, "public": OK, "nobody": ABSENT}
ADMIN_NOBODY = STAFF_REFUSED | {ABSENT}
POLICIES = {
    # The customer area (HTML): a customer's own objects; another's are not found.
    "portal": _policy(LOGIN, OWN_ONLY, DENIED),
    "portal, no billing-only": _policy(LOGIN, OWN_ONLY, DENIED, billing=DENIED),
    "portal action (POST)": _policy(LOGIN, NO_GET, DENIED),
    "portal action, no billing-only": _policy(LOGIN, NO_GET, DENIED, billing=DENIED),
    "portal, then elsewhere": _policy(LOGIN, {**OWN_ONLY, "own": MOVED}, DENIED),
    "signed-in user's own account": _policy(LOGIN, OK, OK),
    "signed-in user's own action (POST)": _policy(LOGIN, NO_GET, NO_GET),
    "signed-in user's own, step-up first": _policy(LOGIN, MOVED, MOVED),
    "payment page": _policy(LOGIN, OWN_ONLY, ABSENT),
    # The user's own second factor (django-two-factor-auth's pages).
    "second factor: set up": _policy(LOGIN, OK, MOVED),
    "second factor: QR code": _policy(LOGIN, ABSENT, ABSENT),
    "second factor: done, codes": _policy(LOGIN, LOGIN, OK),
    "second factor: switch off": _policy(MOVED, MOVED, OK),
    # The customer REST API.
    "api": _policy(DENIED, OWN_ONLY, DENIED),
    "api, no billing-only": _policy(DENIED, OWN_ONLY, DENIED, billing=DENIED),
    "api action (POST)": _policy(DENIED, NO_GET, DENIED),
    "api, any signed-in user": _policy(DENIED, OK, OK),
    "api, any signed-in user's action (POST)": _policy(DENIED, NO_GET, NO_GET),
    "api, staff with permission only": _policy(DENIED, DENIED, DENIED),
    # Content private to a segment, and the public content API.
    "segment's content": _policy(
        {"other": LOGIN, "public": OK, "nobody": ABSENT},
        SEGMENT_ONLY,
        {"other": DENIED, "public": OK, "nobody": ABSENT},
    ),
    "content API detail": _policy(
        {"other": ABSENT, "public": OK, "nobody": ABSENT},
        {**SEGMENT_ONLY, "other": ABSENT},
        {"other": ABSENT, "public": OK, "nobody": ABSENT},
    ),
    "content API, public only": _policy(
        {"other": ABSENT, "public": OK, "nobody": ABSENT},
        {"own": ABSENT, "other": ABSENT, "public": OK, "nobody": ABSENT},
        {"other": ABSENT, "public": OK, "nobody": ABSENT},
    ),
    "password form of a restriction": _policy(
        {"other": OK, "nobody": ABSENT},
        {"own": OK, "other": OK, "nobody": ABSENT},
        {"other": OK, "nobody": ABSENT},
    ),
    # The Wagtail admin.
    "admin": _policy(LOGIN, LOGIN, {"nobody": ADMIN_NOBODY, "*": STAFF_REFUSED}),
    "admin, Wagtail's own models": _policy(LOGIN, LOGIN, STAFF_KEPT_OUT),
    "admin action (POST)": _policy(LOGIN, LOGIN, NO_GET),
    "admin, a confirmation any admin user sees": _policy(LOGIN, LOGIN, {"nobody": ABSENT, "*": OK}),
    "admin, moved to the page's history": _policy(LOGIN, LOGIN, MOVED),
    "admin, any admin user": _policy(LOGIN, LOGIN, {"nobody": ABSENT, "*": OK}),
    "admin content API": _policy(
        LOGIN, LOGIN, {"other": ABSENT, "public": OK, "nobody": ABSENT, "none": OK}
    ),
    "admin, any admin user, an action (POST)": _policy(LOGIN, LOGIN, NO_GET),
    "admin, not found": _policy(LOGIN, LOGIN, ABSENT),
    "admin error test page": _policy(LOGIN, LOGIN, BROKEN),
    # Everyone alike.
    "public": _policy(OK, OK, OK),
    "not found for anyone": _policy(ABSENT, ABSENT, ABSENT),
    "sign-in": _policy(LOGIN, LOGIN, LOGIN),
    "redirect": _policy(MOVED, MOVED, MOVED),
    "POST only": _policy(NO_GET, NO_GET, NO_GET),
}


STAFF_REFUSED_POLICIES = {"admin", "admin, Wagtail's own models", "admin action (POST)"}
"""Rows whose admin actions (405 to a GET) staff are asked by POST too."""


def _rows(policy: str, namespace: str, names: str) -> dict[str, str]:
    prefix = f"{namespace}:" if namespace else ""
    return {prefix + name: policy for name in names.split()}


SNIPPETS = [
    "customers.dashboardlayout",
    "customers.shipment",
    "customers.contract",
    "customers.inboxmessage",
    "billing.invoice",
    "billing.payment",
    "billing.bankcredit",
    "metering.meter",
    "metering.reading",
    "metering.readingwindow",
    "metering.tariffprice",
    "servicedesk.requesttype",
    "servicedesk.workingcalendar",
    "servicedesk.team",
    "servicedesk.catalogueitem",
    "notifications.delivery",
    "notifications.consent",
    "integrations.webhookendpoint",
]
SNIPPET_VIEWS = "list list_results add edit delete usage history history_results copy inspect"
SNIPPET_CHOOSER_VIEWS = "choose choose_results chosen chosen_multiple create"
MODELADMINS = [
    "customers_customer",
    "customers_servicepoint",
    "customers_membership",
    "customers_segment",
    "customers_contractdocument",
    "customers_changerequest",
    "customers_auditevent",
    "axes_accessattempt",
]
MODELADMIN_VIEWS = "index create edit delete inspect history"

MATRIX: dict[str, str] = {
    **_rows("portal", "billing", "invoices invoice invoice_pdf payments instalments pay"),
    **_rows("portal", "billing", "online_payment statement statement_pdf statement_csv"),
    **_rows("portal, no billing-only", "metering", "meters meter submit consumption export photo"),
    **_rows("portal", "servicedesk", "requests choose_type file request attachment appointments"),
    **_rows("portal", "servicedesk", "appointment_ics orders cost_pdf"),
    **_rows("portal action (POST)", "servicedesk", "reply accept reopen rate confirm_slot"),
    **_rows("portal, then elsewhere", "servicedesk", "propose_slots"),
    **_rows("portal", "announcements", "list"),
    **_rows("payment page", "", "sandbox_payment_page"),
    **_rows("portal", "customer", "dashboard service_points service_point profile contracts"),
    **_rows("portal", "customer", "contract contract_document messages message"),
    **_rows("portal", "customer", "message_reply message_attachment notifications shipments"),
    **_rows("portal, no billing-only", "customer", "members billing_data_change contact_change"),
    **_rows("signed-in user's own action (POST)", "customer", "switch stop_viewing_as"),
    **_rows(
        "portal action, no billing-only",
        "customer",
        "accept_terms revoke_member revoke_invitation decide_member",
    ),
    **_rows(
        "signed-in user's own account",
        "customer",
        "security confirm_identity password_change email_change tokens token_create privacy "
        "close_account activation_done",
    ),
    **_rows("signed-in user's own action (POST)", "customer", "end_other_sessions token_revoke"),
    **_rows("signed-in user's own, step-up first", "customer", "privacy_export"),
    **_rows("public", "customer", "activate signup signup_sent"),
    **_rows("not found for anyone", "customer", "accept_invitation signup_confirm"),
    **_rows("public", "two_factor", "login"),
    **_rows("signed-in user's own account", "two_factor", "profile"),
    **_rows("second factor: set up", "two_factor", "setup"),
    **_rows("second factor: QR code", "two_factor", "qr"),
    **_rows("second factor: done, codes", "two_factor", "setup_complete backup_tokens"),
    **_rows("second factor: switch off", "two_factor", "disable"),
    **_rows("api, any signed-in user", "api-v1", "me customer-list api-root"),
    **_rows("api, any signed-in user's action (POST)", "api-v1", "customer-activate"),
    **_rows("api", "api-v1", "service-point-list service-point-detail"),
    **_rows("api", "api-v1", "contract-list contract-detail contract-document-detail"),
    **_rows("api", "api-v1", "contract-document-pdf invoice-list invoice-detail invoice-pdf"),
    **_rows("api", "api-v1", "payment-list account-balance account-statement"),
    **_rows("api", "api-v1", "request-type-list request-type-detail request-list request-detail"),
    **_rows("api", "api-v1", "request-attachment announcement-list message-list"),
    **_rows("api", "api-v1", "message-unread-count message-detail notification-settings-list"),
    **_rows(
        "api, no billing-only",
        "api-v1",
        "meter-list meter-detail meter-readings consumption-detail",
    ),
    **_rows(
        "api action (POST)",
        "api-v1",
        "request-accept request-rate request-reopen request-reply message-read",
    ),
    **_rows("api, staff with permission only", "api-v1", "import-list import-detail"),
    **_rows("public", "api-v1", "schema docs redoc"),
    **_rows("segment's content", "", "wagtail_serve wagtaildocs_serve"),
    **_rows("content API detail", "wagtailapi", "pages:detail images:detail"),
    **_rows("content API, public only", "wagtailapi", "documents:detail"),
    **_rows("public", "wagtailapi", "pages:listing images:listing documents:listing"),
    **_rows("not found for anyone", "wagtailapi", "pages:find images:find documents:find"),
    **_rows("password form of a restriction", "", "wagtailcore_authenticate_with_password"),
    **_rows("not found for anyone", "", "wagtaildocs_authenticate_with_password"),
    # Served only once the operator names a security contact (none in the tests).
    **_rows("not found for anyone", "", "security_txt"),
    **_rows("public", "", "javascript-catalog healthz search password_reset password_reset_done"),
    **_rows("public", "", "password_reset_confirm password_reset_complete"),
    **_rows("redirect", "", "set_language"),
    **_rows("POST only", "", "logout payment_notification"),
    **_rows("sign-in", "", "/_util/login/ wagtailcore_login /admin/login/ wagtailadmin_login"),
    # The admin.
    **_rows(
        "public",
        "",
        "wagtailadmin_sprite wagtailadmin_javascript_catalog wagtailadmin_password_reset "
        "wagtailadmin_password_reset_done wagtailadmin_password_reset_confirm "
        "wagtailadmin_password_reset_complete",
    ),
    **_rows(
        "admin, any admin user",
        "",
        "wagtailadmin_home wagtailadmin_account wagtailadmin_choose_page "
        "wagtailadmin_choose_page_child wagtailadmin_choose_page_search "
        "wagtailadmin_choose_page_chosen_multiple wagtailadmin_choose_page_external_link "
        "wagtailadmin_choose_page_email_link wagtailadmin_choose_page_phone_link "
        "wagtailadmin_choose_page_anchor_link wagtailadmin_tag_autocomplete "
        "wagtailadmin_dismissibles /admin/test404/",
    ),
    **_rows("admin, any admin user", "wagtail_modeladmin", "javascript_catalog"),
    **_rows("admin, any admin user", "wagtailadmin_pages", "choose_parent"),
    **_rows("admin, any admin user", "wagtailadmin_reports", "site_history site_history_results"),
    **_rows(
        "admin, any admin user",
        "wagtailadmin_workflows",
        "task_chooser task_chooser_results task_chooser_create task_chosen",
    ),
    **_rows(
        "admin, any admin user", "wagtaildocs_chooser", "choose choose_results chosen_multiple"
    ),
    **_rows(
        "admin, any admin user", "wagtailimages_chooser", "choose choose_results chosen_multiple"
    ),
    **_rows("admin, any admin user, an action (POST)", "", "wagtailadmin_logout"),
    **_rows("admin error test page", "", "wagtailadmin_error_test"),
    **_rows(
        "admin, not found",
        "",
        "wagtailadmin_tag_model_autocomplete wagtailadmin_block_preview /admin/^.*/$",
    ),
    **_rows("admin content API", "wagtailadmin_api", "pages:listing pages:detail"),
    **_rows("admin content API", "wagtailadmin_api", "documents:listing documents:detail"),
    **_rows("admin content API", "wagtailadmin_api", "images:listing images:detail"),
    **_rows("admin, not found", "wagtailadmin_api", "pages:find documents:find images:find"),
    **_rows("admin, Wagtail's own models", "wagtailadmin_api", "pages:action"),
    **_rows(
        "admin, a confirmation any admin user sees",
        "wagtailadmin_pages",
        "move_confirm confirm_workflow_cancellation",
    ),
    **_rows("admin, moved to the page's history", "wagtailadmin_pages", "revisions_index"),
    # The portal's own admin views: customer data and back-office work.
    **_rows(
        "admin",
        "",
        "customers_access_batch_create customers_access_batch "
        "customers_access_batch_letters customers_view_as customers_decide_change_request "
        "customers_inbox_send customers_inbox_receipts customers_inbox_customer_search "
        "billing_upload_statement billing_review_credits metering_review_queue metering_review "
        "metering_photo servicedesk_slot_propose servicedesk_slot_cancel servicedesk_slot_confirm "
        "servicedesk_cost_add servicedesk_cost_delete servicedesk_queue servicedesk_request "
        "servicedesk_attachment notifications_failed integrations_import "
        "integrations_import_detail integrations_webhook_log integrations_exports "
        "integrations_export",
    ),
    **_rows(
        "admin action (POST)", "", "integrations_webhook_redeliver integrations_webhook_rotate"
    ),
    **_rows("admin", "wagtaildocs_chooser", "chosen create"),
    **_rows("admin", "wagtailimages_chooser", "chosen create select_format"),
    **{
        f"wagtailsnippets_{model.replace('.', '_')}:{view}": "admin"
        for model in SNIPPETS
        for view in SNIPPET_VIEWS.split()
    },
    **{
        f"wagtailsnippetchoosers_{model.replace('.', '_')}:{view}": "admin"
        for model in SNIPPETS
        for view in SNIPPET_CHOOSER_VIEWS.split()
    },
    **{
        f"{model}_modeladmin_{view}": "admin"
        for model in MODELADMINS
        for view in MODELADMIN_VIEWS.split()
    },
    # Wagtail's own models: pages, collections, documents, images, workflows, users…
    **_rows(
        "admin, Wagtail's own models",
        "",
        "wagtailadmin_explore_root wagtailadmin_explore wagtailadmin_explore_results "
        "wagtail_bulk_action wagtailsnippets:index",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailadmin_pages",
        "add preview_on_add type_use type_use_results usage edit preview_on_edit "
        "view_draft add_subpage delete unpublish convert_alias search search_results move "
        "set_page_position copy workflow_action collect_workflow_action_data "
        "workflow_preview set_privacy lock unlock revisions_view revisions_revert "
        "revisions_unschedule revisions_compare workflow_history workflow_history_detail "
        "history history_results",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailadmin_collections",
        "index add edit delete set_privacy",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailadmin_workflows",
        "index index_results add enable disable edit usage usage_results remove add_task "
        "select_task_type task_index task_index_results edit_task disable_task enable_task",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailadmin_reports",
        "locked_pages locked_pages_results workflow workflow_results workflow_tasks "
        "workflow_tasks_results aging_pages aging_pages_results page_types_usage "
        "page_types_usage_results",
    ),
    **_rows("admin, Wagtail's own models", "wagtailadmin_editing_sessions", "ping"),
    # Ends the user's own editing session, if any.
    **_rows("admin, any admin user, an action (POST)", "wagtailadmin_editing_sessions", "release"),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailforms",
        "index index_results list_submissions list_submissions_results delete_submissions",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailredirects",
        "index index_results add edit delete start_import process_import",
    ),
    **_rows("admin, Wagtail's own models", "wagtailsettings", "edit preview_on_edit"),
    **_rows(
        "admin, Wagtail's own models",
        "wagtaildocs",
        "index index_results add edit delete add_multiple edit_multiple "
        "create_multiple_from_uploaded_document delete_multiple delete_upload_multiple "
        "document_usage",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailimages",
        "index index_results edit delete url_generator url_generator_output preview add "
        "image_usage add_multiple edit_multiple create_multiple_from_uploaded_image "
        "delete_multiple delete_upload_multiple",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailsites",
        "index index_results add edit delete history history_results usage copy",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailusers_users",
        "index index_results add edit delete history history_results usage copy",
    ),
    **_rows(
        "admin, Wagtail's own models",
        "wagtailusers_groups",
        "index index_results add edit delete history history_results usage",
    ),
}


def answer(response) -> str:
    """The table's name for a response: its status, and for a 302 where it sends the reader."""
    if response.status_code != 302:
        return str(response.status_code)
    location = response["Location"]
    if location.startswith(("/account/login/", "/admin/login/")):
        return LOGIN
    return ADMIN_HOME if location == "/admin/" else MOVED


def relation(reader: str, whose: str) -> str:
    if whose not in ("A", "B"):
        return whose
    return (
        "own"
        if reader in ("owner A", "billing A")
        and whose == "A"
        or (reader == "owner B" and whose == "B")
        else "other"
    )


def expected(policy: str, reader: str, whose: str) -> frozenset[str]:
    cell = POLICIES[policy][reader]
    if isinstance(cell, dict):
        cell = cell.get(relation(reader, whose), cell.get("*"))
    return cell if isinstance(cell, frozenset) else frozenset({cell})


def _variants(secrets):
    """A secret as written in HTML and as JSON may escape it."""
    import json

    found = set()
    for secret in secrets:
        found |= {secret, json.dumps(secret)[1:-1]}
    return sorted(found)


def forbidden_secrets(world) -> dict[str, list[str]]:
    """Per reader, what no response to them may contain."""
    a, b = world.a, world.b
    return {
        "anonymous": _variants(a.secrets + b.secrets + a.content_secrets + b.content_secrets),
        "owner A": _variants(b.secrets + b.content_secrets),
        "owner B": _variants(a.secrets + a.content_secrets),
        "billing A": _variants(b.secrets + b.content_secrets + a.technical_secrets),
        "staff": _variants(a.secrets + b.secrets + a.content_secrets + b.content_secrets),
    }


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The matrix's world, built once for the module in a transaction rolled back at its
    end (as `two_customers_for_the_module`); its files in a media folder of its own."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_matrix_world()
        except BaseException:
            outer.__exit__(None, None, None)
            raise
        built.media = media
        yield built
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


class Reader:
    """A test client signed in as one reader. Each probe starts from the same session
    cookie: Wagtail's admin logout drops the cookie even when it refuses a GET, and every
    refused admin request leaves a flash message a reader who never follows the redirect
    would carry on."""

    def __init__(self, name, user=None, second_factor=False):
        from django.conf import settings

        self.name = name
        self.client = Client(raise_request_exception=False)
        if second_factor:
            verify_with_second_factor(self.client, user)
        elif user is not None:
            self.client.force_login(user)
        self.cookie = settings.SESSION_COOKIE_NAME
        self.session = self.client.cookies[self.cookie].value if user is not None else None

    def get(self, url):
        return self._fresh().get(url)

    def post(self, url):
        return self._fresh().post(url)

    def _fresh(self):
        from http.cookies import SimpleCookie

        self.client.cookies = SimpleCookie()
        if self.session is not None:
            self.client.cookies[self.cookie] = self.session
        return self.client


@pytest.fixture
def readers(world, settings, db):
    settings.MEDIA_ROOT = world.media
    # A sign-in counts as the step-up the password, e-mail and token pages ask for; the
    # matrix may take longer than that window on a busy machine, and is not about it.
    settings.STEP_UP_SECONDS = 60 * 60
    return {
        "anonymous": Reader("anonymous"),
        "owner A": Reader("owner A", world.a.owner),
        "owner B": Reader("owner B", world.b.owner),
        "billing A": Reader("billing A", world.a.billing),
        "staff": Reader("staff", world.staff, second_factor=True),
    }


def test_every_route_is_in_the_matrix():
    unknown = sorted({key for key, _, _ in all_routes()} - set(MATRIX))
    assert unknown == [], (
        "classify these routes in MATRIX (tests/security/test_access_matrix.py): who may "
        "open them, and what the others get"
    )


def test_access_matrix(world, readers):
    secrets = forbidden_secrets(world)
    unexpected, leaks = [], []
    counts = defaultdict(Counter)
    routes = [route for route in all_routes() if route[0] in MATRIX]
    for key, kwargs, pattern in routes:
        policy = MATRIX[key]
        found = targets(world, key, kwargs, pattern)
        for reader in readers.values():
            asked = found
            if pattern.startswith("/admin/"):
                # Readers without admin access are refused at the door, whatever the
                # object; staff are asked for A's rows (B's are alike to them) and others'.
                asked = found[:1] if reader.name != "staff" else [t for t in found if t[0] != "B"]
            for whose, url in asked:
                response = reader.get(url)
                got = answer(response)
                want = expected(policy, reader.name, whose)
                if got == NO_GET and reader.name == "staff" and policy in STAFF_REFUSED_POLICIES:
                    # An admin action: the POST itself must be refused.
                    counts[reader.name][got] += 1
                    response = reader.post(url)
                    got, want = f"POST {answer(response)}", {f"POST {a}" for a in STAFF_POST}
                counts[reader.name][got] += 1
                if got not in want:
                    unexpected.append((key, reader.name, whose, sorted(want), got, url))
                body = _body(response)
                shown = [secret for secret in secrets[reader.name] if secret in body]
                if shown:
                    leaks.append((key, reader.name, whose, url, shown))

    total = sum(sum(c.values()) for c in counts.values())
    answers = sorted({a for c in counts.values() for a in c})
    lines = [
        f"{total} probes over {len(routes)} routes x {len(ROLES)} readers, "
        f"{len(unexpected)} unexpected answers, {len(leaks)} leaks",
        "",
        "reader".ljust(12) + "".join(a.rjust(24) for a in answers) + "total".rjust(8),
    ]
    for role in ROLES:
        row = counts[role]
        lines.append(
            role.ljust(12)
            + "".join(str(row[a]).rjust(24) for a in answers)
            + str(sum(row.values())).rjust(8)
        )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    assert not unexpected and not leaks, "\n".join(
        ["unexpected answers:", *map(str, unexpected), "leaks:", *map(str, leaks)]
    )
    assert total >= 1000, f"only {total} probes: the matrix has lost its routes or readers"
