"""Hostile text in every field people write, and hostile values in every filter and search.

Markup written by a customer or a member of staff must come out as text wherever it is
shown: escaped in the customer's and the staff's HTML pages, literal in e-mail bodies with
no header broken by a line end, printed (never obeyed) in PDFs. SQL-looking filter, search
and ordering values must answer 200 or a clean 400, never a 500, never another customer's
rows, never a changed database. Pages are parsed, not grepped: a payload counts as live
only when the parser sees the element, the handler or the URL it would inject.
"""

import fcntl
import io
import json
import re
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.core import mail
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from tests.security.payloads import EVALUATED, HOSTILE_ORDERING, MARK, SQL_PAYLOADS, XSS_PAYLOADS

pytestmark = pytest.mark.django_db

REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "hostile-input.txt"

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "content", "srcdoc"}
INJECTED_TAGS = {
    "script", "img", "svg", "iframe", "object", "embed", "body", "details", "input", "form",
    "meta", "base", "style", "math", "a", "button", "link",
}  # fmt: skip


# Checking outputs


class LiveMarkupScanner(HTMLParser):
    """Collects what a browser would run: script text, event handlers, javascript: URLs and
    elements carrying the payload's mark; and the page's text, to see the payload is shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.text: list[str] = []
        self._raw = None

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag in ("script", "style"):
            self._raw = tag

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data):
        if self._raw and MARK in data:
            self.live.append(f"<{self._raw}> {data[:80]!r}")
        elif not self._raw:
            self.text.append(data)

    def _check(self, tag, attrs):
        if MARK in tag:
            self.live.append(f"element <{tag}>")
        for name, value in attrs:
            value = value or ""
            if MARK in name:
                self.live.append(f"attribute {name!r} on <{tag}>")
            if name.startswith("on") and (MARK in value or "alert" in value):
                self.live.append(f"handler {name}={value[:60]!r} on <{tag}>")
            squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in URL_ATTRIBUTES and (
                "javascript:" in squeezed or squeezed.startswith("data:text/html")
            ):
                self.live.append(f"{name}={value[:60]!r} on <{tag}>")
            if tag in INJECTED_TAGS and MARK in value and name in URL_ATTRIBUTES | {"style"}:
                self.live.append(f"<{tag} {name}={value[:60]!r}>")


def scan_html(html: str) -> LiveMarkupScanner:
    scanner = LiveMarkupScanner()
    try:
        scanner.feed(html)
        scanner.close()
    except AssertionError as error:  # raw "<![CDATA[" and the like: not from an escaped page
        scanner.live.append(f"markup the parser cannot read: {error}")
    return scanner


def squeeze(text: str) -> str:
    """Printable ASCII without spaces: what survives wrapping, truncation and fonts."""
    return "".join(ch for ch in text if 32 < ord(ch) < 127)


def probe_of(payload: str, length: int = 10) -> str:
    return squeeze(payload)[:length]


class Outputs:
    """Tallies payloads × fields × outputs, and what was found live."""

    def __init__(self):
        self.checked = Counter()  # (field, output) -> payloads seen there, escaped
        self.refused = Counter()  # field -> payloads refused with a form error
        self.holes: list[tuple] = []
        self.emails = 0
        self.pdfs = 0

    def html(self, field, output, response, payloads):
        """`response` is a page that should show `payloads` as text."""
        assert response.status_code == 200, (field, output, response.status_code)
        body = response.content.decode()
        scanner = scan_html(body)
        if scanner.live:
            self.holes.append((field, output, scanner.live[:3]))
        if EVALUATED in body:
            self.holes.append((field, output, "template syntax evaluated"))
        text = squeeze("".join(scanner.text))
        for payload in payloads:
            if probe_of(payload) in text:
                self.checked[(field, output)] += 1

    def email(self, field, delivery, payloads):
        """Send the outbox row as the worker would and read the message back from the wire."""
        from notifications.tasks import _send

        assert "\r" not in delivery.subject and "\n" not in delivery.subject, delivery.subject
        mail.outbox.clear()
        _send(delivery)  # a header break would raise here and lose the notice
        (sent,) = mail.outbox
        parsed = message_from_bytes(sent.message().as_bytes())
        headers = {name.lower() for name, _value in parsed.items()}
        expected = {
            "content-type", "mime-version", "content-transfer-encoding", "subject", "from",
            "to", "date", "message-id", "x-okienko-delivery",
        }  # fmt: skip
        if headers - expected or parsed["To"] != delivery.to:
            self.holes.append((field, "e-mail headers", sorted(headers - expected)))
        for part in parsed.walk():
            content = part.get_payload(decode=True)
            if content is None:
                continue
            content = content.decode(part.get_content_charset() or "utf-8")
            if part.get_content_type() == "text/html" and scan_html(content).live:
                self.holes.append((field, "e-mail HTML", scan_html(content).live[:3]))
            if EVALUATED in content:
                self.holes.append((field, "e-mail text", "template syntax evaluated"))
        self.emails += 1
        written = squeeze(delivery.body + delivery.subject)
        self.checked[(field, "e-mail")] += sum(probe_of(p) in written for p in payloads)

    def pdf(self, field, response, payloads):
        from pypdf import PdfReader

        assert response.status_code == 200, (field, response.status_code)
        content = b"".join(response) if response.streaming else response.content
        assert content.startswith(b"%PDF"), field
        reader = PdfReader(io.BytesIO(content))
        text = "".join(page.extract_text() for page in reader.pages)
        links = [
            annotation.get_object().get("/A", {}).get("/URI")
            for page in reader.pages
            for annotation in page.get("/Annots") or []
        ]
        if any(link and MARK in str(link) for link in links):
            self.holes.append((field, "PDF", "a link made from the text"))
        if EVALUATED in text:
            self.holes.append((field, "PDF", "template syntax evaluated"))
        self.pdfs += 1
        for payload in payloads:
            if probe_of(payload) in squeeze(text):
                self.checked[(field, "PDF")] += 1
            elif "<" in probe_of(payload):
                # markup such as <font> or <a href> was taken as markup, not printed
                self.holes.append((field, "PDF", f"markup obeyed: {payload[:40]!r}"))


def rounds(size: int = 4) -> list[tuple[str, list[str]]]:
    """The payloads a few to a value, one a line (each still reaches every field and output,
    in a third of the requests); the very long one alone."""
    short = [p for p in XSS_PAYLOADS if len(p) < 1000]
    chunks = [short[i : i + size] for i in range(0, len(short), size)]
    chunks += [[p] for p in XSS_PAYLOADS if len(p) >= 1000]
    return [("\n".join(chunk), chunk) for chunk in chunks]


def within(payloads: list[str], value: str, limit: int) -> list[str]:
    """The payloads wholly inside the first `limit` characters of `value` (what a field of
    that length keeps)."""
    kept = value[:limit]
    return [p for p in payloads if p in kept]


def write_report(section: str, lines: list[str]) -> None:
    """Replace this test's section of the shared report (tests may run in parallel)."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with open(REPORT, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        kept = [line for line in handle.read().splitlines() if not line.startswith(section)]
        handle.seek(0)
        handle.truncate()
        lines = kept + [f"{section}: {line}" for line in lines]
        lines.sort(key=lambda line: line.partition(":")[0])  # stable: a section keeps its order
        handle.write("\n".join(lines) + "\n")


def tally_lines(outputs: Outputs) -> list[str]:
    fields = sorted({field for field, _ in outputs.checked})
    pairs = len(outputs.checked)
    total = sum(outputs.checked.values())
    lines = [
        f"{len(XSS_PAYLOADS)} payloads x {len(fields)} fields -> {pairs} field/output pairs, "
        f"{total} payload checks shown escaped, {outputs.emails} e-mails, {outputs.pdfs} PDFs read, "
        f"{sum(outputs.refused.values())} refused with a form error, {len(outputs.holes)} holes"
    ]
    lines += [
        f"  {field} -> {output}: {n}" for (field, output), n in sorted(outputs.checked.items())
    ]
    return lines


# The world


def step_up(client):
    from customers import stepup

    session = client.session
    session[stepup.SESSION_KEY] = time.time()
    session.save()


def general_type(customer):
    from servicedesk.models import FormField, RequestType

    request_type = RequestType.objects.create(
        slug="pytanie", name="Pytanie", name_en="Question", category="general",
        calendar=RequestType.objects.first().calendar,
    )  # fmt: skip
    FormField.objects.create(
        request_type=request_type, key="tresc", label="Treść", label_en="Text", kind="long_text"
    )
    return request_type


def new_deliveries(before: int):
    from notifications.models import Channel, Delivery

    return list(Delivery.objects.filter(pk__gt=before, channel=Channel.EMAIL).order_by("pk"))


def last_delivery_pk() -> int:
    from notifications.models import Delivery

    return Delivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def form_error(response) -> bool:
    form = response.context.get("form") if response.context is not None else None
    return response.status_code == 200 and form is not None and bool(form.errors)


# Markup through every field people write


def test_customer_written_text_is_shown_as_text_everywhere(
    client, staff_client, two_customers, home_page, monkeypatch, django_capture_on_commit_callbacks
):
    """Requests (subject, description), replies, data-change requests, contact data, replies
    to inbox messages and public form answers, through the real views."""
    from wagtail.contrib.forms.models import FormSubmission

    from customers.models import ChangeRequest, Customer
    from servicedesk.models import CostItem, Request
    from tests.factories import complaint_type
    from tests.home.test_contact_and_forms import make_form_page

    monkeypatch.setattr("home.models.FORM_SUBMISSIONS_PER_HOUR", 10_000)
    a = two_customers.a
    complaint = complaint_type()
    general_type(a.customer)
    form_page = make_form_page(home_page)
    client.force_login(a.owner)
    step_up(client)
    anonymous = type(client)()
    out = Outputs()
    filed, customer_name_before = [], a.customer.name

    for payload, shown in rounds():
        # A request of a type with a short and a long text: subject and description.
        before = last_delivery_pk()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("servicedesk:file", kwargs={"slug": complaint.slug}),
                {"invoice": payload, "what": payload, "reason": "Inne"},
            )
        if response.status_code == 200:
            out.refused["request"] += 1
            out.html("request (refused form)", "customer form", response, [])
        else:
            assert response.status_code == 302, response.status_code
            request = Request.objects.filter(customer=a.customer).latest("pk")
            filed.append((request, payload))
            for delivery in new_deliveries(before):
                out.email("request subject/description", delivery, shown)
            # The customer's and the staff's replies on it.
            before = last_delivery_pk()
            with django_capture_on_commit_callbacks(execute=True):
                client.post(
                    reverse("servicedesk:reply", kwargs={"request_id": request.public_id}),
                    {"body": payload},
                )
                staff_client.post(
                    reverse("servicedesk_request", args=[request.pk]),
                    {"action": "reply", "reply-body": payload},
                )
            for delivery in new_deliveries(before):
                out.email("request replies", delivery, shown)
            # One page each shows the request and its thread.
            customer_page = client.get(
                reverse("servicedesk:request", kwargs={"request_id": request.public_id})
            )
            staff_page = staff_client.get(reverse("servicedesk_request", args=[request.pk]))
            for field in ("request subject/description", "request replies"):
                out.html(field, "customer request page", customer_page, shown)
                out.html(field, "staff request page", staff_page, shown)
            # Its subject printed in the cost report.
            CostItem.objects.create(
                request=request, kind=CostItem.Kind.LABOUR, description="Praca",
                quantity=Decimal("1"), unit_price=Decimal("10.00"),
            )  # fmt: skip
            out.pdf(
                "request subject/description",
                client.get(
                    reverse("servicedesk:cost_pdf", kwargs={"request_id": request.public_id})
                ),
                within(shown, payload, 180),
            )

        # Billing data: saved as a change request for staff to decide.
        response = client.post(
            reverse("customer:billing_data_change"),
            {
                "name": payload[:200],
                "billing_street": payload[:200],
                "billing_postal_code": "00-001",
                "billing_city": payload[:100],
                "correspondence_street": payload[:200],
                "correspondence_postal_code": "",
                "correspondence_city": payload[:100],
            },
        )
        if form_error(response):
            out.refused["billing data"] += 1
            out.html("billing data (refused form)", "customer form", response, [])
        else:
            assert response.status_code == 302, response.status_code
            change = ChangeRequest.objects.filter(customer=a.customer).latest("pk")
            out.html(
                "billing data change",
                "staff change request page",
                staff_client.get(
                    reverse("customers_changerequest_modeladmin_inspect", args=[change.pk])
                ),
                within(shown, payload, 100),
            )

        # Contact data: applied at once.
        response = client.post(
            reverse("customer:contact_change"), {"email": payload, "phone": payload[:30]}
        )
        if form_error(response):
            out.refused["contact data"] += 1
            out.html(
                "contact data (refused form)", "customer form", response, within(shown, payload, 30)
            )
        else:
            out.html(
                "contact data",
                "customer profile",
                client.get(reverse("customer:profile")),
                within(shown, payload, 30),
            )

        # A reply to an inbox message becomes a request "Re: <subject>" with the text.
        before = last_delivery_pk()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("customer:message_reply", kwargs={"message_id": a.messages[0].public_id}),
                {"text": payload},
            )
        if form_error(response):
            out.refused["inbox reply"] += 1
            out.html("inbox reply (refused form)", "customer form", response, [])
        else:
            assert response.status_code == 302, response.status_code
            reply = Request.objects.filter(customer=a.customer).latest("pk")
            assert reply.subject.startswith("Re: ")
            for delivery in new_deliveries(before):
                out.email("inbox reply", delivery, shown)
            out.html("inbox reply", "customer request page", client.get(response.url), shown)
            out.html(
                "inbox reply",
                "staff request page",
                staff_client.get(reverse("servicedesk_request", args=[reply.pk])),
                shown,
            )

        # The public form page, answered by a visitor; staff read it in the admin.
        before = last_delivery_pk()
        with django_capture_on_commit_callbacks(execute=True):
            response = anonymous.post(
                form_page.url,
                {"imie_i_nazwisko": payload[:255], "czego_potrzebujesz": payload, "moc_w_kw": ""},
            )
        assert response.status_code == 200
        if form_error(response):
            out.refused["form page"] += 1
            out.html("form page (refused form)", "public form", response, [])
        else:
            for delivery in new_deliveries(before):
                out.email("form page answers", delivery, shown)

    # Lists that show many of them at once, for the customer and for staff.
    payloads = [payload for _, payload in filed]
    out.html(
        "request subject/description", "customer request list",
        client.get(reverse("servicedesk:requests")), payloads,
    )  # fmt: skip
    out.html(
        "request subject/description", "staff request queue",
        staff_client.get(reverse("servicedesk_queue") + "?status=&p=1"), payloads,
    )  # fmt: skip
    out.html(
        "billing data change", "staff change request list",
        staff_client.get(reverse("customers_changerequest_modeladmin_index")), [],
    )  # fmt: skip
    out.html(
        "form page answers", "staff submissions list",
        staff_client.get(reverse("wagtailforms:list_submissions", args=[form_page.pk])),
        [s.form_data["czego_potrzebujesz"] for s in FormSubmission.objects.all()[:20]],
    )  # fmt: skip
    out.html(
        "e-mail outbox", "staff outbox list",
        staff_client.get(reverse("wagtailsnippets_notifications_delivery:list")), [],
    )  # fmt: skip
    a.customer.refresh_from_db()
    assert a.customer.name == customer_name_before, "billing data changed without a decision"
    assert Customer.objects.filter(name__contains="<script>").count() == 0

    write_report("xss customer-written", tally_lines(out))
    assert out.holes == []
    assert filed, "no request was accepted: the checks above saw nothing"
    for field, output in [
        ("request subject/description", "customer request page"),
        ("request subject/description", "staff request page"),
        ("request subject/description", "e-mail"),
        ("request subject/description", "PDF"),
        ("request replies", "customer request page"),
        ("request replies", "staff request page"),
        ("request replies", "e-mail"),
        ("billing data change", "staff change request page"),
        ("inbox reply", "staff request page"),
        ("form page answers", "e-mail"),
        ("form page answers", "staff submissions list"),
    ]:
        assert out.checked[(field, output)] >= (
            1 if "list" in output else len(XSS_PAYLOADS) // 3
        ), (
            field,
            output,
        )


def test_staff_written_text_is_shown_as_text_everywhere(
    client, staff_client, two_customers, home_page, django_capture_on_commit_callbacks
):
    """Inbox messages written in the admin, announcements (title, heading, rich text),
    payment titles and reasons for rejecting a reading, as customers and staff see them."""
    from announcements.models import AnnouncementIndexPage, AnnouncementPage
    from billing.models import Payment
    from customers.models import InboxMessage
    from metering.models import Reading

    a = two_customers.a
    client.force_login(a.owner)
    out = Outputs()
    board = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty")
    home_page.add_child(instance=board)
    board.save_revision().publish()
    from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter

    from home.blocks import RICH_TEXT_FEATURES

    converter = ContentstateConverter(RICH_TEXT_FEATURES)

    def editor_content(text: str) -> str:
        """What the editor posts when the text is pasted as HTML; typed, when the converter
        of the test tools cannot take the broken markup."""
        try:
            return rich_text(f"<p>{text}</p>")
        except AssertionError:
            block = {"key": "k1", "type": "unstyled", "depth": 0, "text": text}
            block.update(inlineStyleRanges=[], entityRanges=[], data={})
            return json.dumps({"blocks": [block], "entityMap": {}})

    sent_messages = []

    for n, (payload, shown) in enumerate(rounds()):
        model_text = payload.replace("\x00", "")  # no text column stores NUL on PostgreSQL
        model_shown = [p.replace("\x00", "") for p in shown]
        # An inbox message: subject typed, body pasted as HTML into the editor.
        before = last_delivery_pk()
        response = staff_client.post(
            reverse("wagtailsnippets_customers_inboxmessage:add"),
            nested_form_data(
                {
                    "subject": payload[:200],
                    "body": editor_content(payload),
                    "audience": "customers",
                    "customers": a.customer.number,
                    "attachments": inline_formset([]),
                }
            ),
        )
        if response.status_code == 200:
            out.refused["inbox message"] += 1
            out.html("inbox message (refused form)", "staff form", response, [])
        else:
            assert response.status_code == 302, response.status_code
            message = InboxMessage.objects.latest("pk")
            with django_capture_on_commit_callbacks(execute=True):
                staff_client.post(reverse("customers_inbox_send", args=[message.pk]))
            sent_messages.append((message, payload))
            for delivery in new_deliveries(before):
                out.email("inbox message", delivery, shown)
            out.html(
                "inbox message",
                "customer message page",
                client.get(reverse("customer:message", kwargs={"message_id": message.public_id})),
                within(shown, payload, 200),
            )
            out.html(
                "inbox message",
                "staff message page",
                staff_client.get(
                    reverse("wagtailsnippets_customers_inboxmessage:edit", args=[message.pk])
                ),
                within(shown, payload, 200),
            )

        # An announcement written through the model API, the paragraph as the editor saves it.
        before = last_delivery_pk()
        paragraph = converter.to_database_format(editor_content(model_text))
        page = AnnouncementPage(
            title=model_text[:255],
            slug=f"komunikat-{n}",
            valid_from=timezone.now() - timedelta(hours=1),
            send_email=True,
            audience="customers",
            body=json.dumps(
                [
                    {"type": "heading", "value": {"text": model_text[:120], "level": "h2"}},
                    {"type": "paragraph", "value": paragraph},
                ]
            ),
        )
        page.customers = [a.customer]
        board.add_child(instance=page)
        with django_capture_on_commit_callbacks(execute=True):
            page.save_revision().publish()
        page.refresh_from_db()
        for delivery in new_deliveries(before):
            out.email("announcement", delivery, model_shown)
        out.html("announcement", "public announcement page", client.get(page.url), model_shown)
        out.html(
            "announcement",
            "staff page editor",
            staff_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])),
            within(model_shown, model_text, 255),
        )

        # Text from the ERP or the bank: a payment's title; a member of staff's reason.
        Payment.objects.create(
            customer=a.customer, kind="transfer", amount=Decimal("1.00"),
            received_on=timezone.localdate() - timedelta(days=1), title=model_text[:300],
        )  # fmt: skip
        out.pdf(
            "payment title",
            client.get(reverse("billing:statement_pdf")),
            within(model_shown, model_text, 300),
        )
        Reading.objects.filter(pk=a.readings[0].pk).update(
            status="rejected", rejection_reason=model_text
        )
        out.html(
            "reading rejection reason",
            "customer meter page",
            client.get(reverse("metering:meter", kwargs={"meter_id": a.meters[0].public_id})),
            model_shown,
        )

    payloads = [payload.replace("\x00", "") for payload in XSS_PAYLOADS]
    out.html(
        "inbox message",
        "customer inbox",
        client.get(reverse("customer:messages")),
        [p for _, p in sent_messages],
    )
    out.html(
        "inbox message", "staff message list",
        staff_client.get(reverse("wagtailsnippets_customers_inboxmessage:list")),
        [p for _, p in sent_messages],
    )  # fmt: skip
    out.html(
        "announcement",
        "customer announcement list",
        client.get(reverse("announcements:list")),
        payloads,
    )
    out.html("announcement", "public board", client.get(board.url), payloads)
    out.html(
        "announcement", "staff page explorer",
        staff_client.get(reverse("wagtailadmin_explore", args=[board.pk])), payloads,
    )  # fmt: skip
    out.html(
        "payment title", "customer payment list", client.get(reverse("billing:payments")), payloads
    )
    out.html(
        "payment title", "customer statement", client.get(reverse("billing:statement")), payloads
    )
    out.html(
        "payment title", "staff payment list",
        staff_client.get(reverse("wagtailsnippets_billing_payment:list")), payloads,
    )  # fmt: skip

    write_report("xss staff-written", tally_lines(out))
    assert out.holes == []
    for field, output in [
        ("inbox message", "customer message page"),
        ("inbox message", "staff message page"),
        ("inbox message", "e-mail"),
        ("announcement", "public announcement page"),
        ("announcement", "staff page editor"),
        ("announcement", "e-mail"),
        ("payment title", "PDF"),
        ("payment title", "customer statement"),
        ("reading rejection reason", "customer meter page"),
    ]:
        assert out.checked[(field, output)] >= 1, (field, output)


def test_resolution_words_and_visit_details_are_shown_as_text(
    client, staff_client, two_customers, django_capture_on_commit_callbacks
):
    """What is said at the end of a request (the reason to reopen it, the comment on the
    rating) and what staff write about the work (a cost item, the place of a visit), on
    the customer's and the staff's pages, in e-mail, in the cost report and in the .ics."""
    from servicedesk.models import CostItem, Request
    from tests.factories import UserFactory

    a = two_customers.a
    client.force_login(a.owner)
    agent = UserFactory(is_staff=True)
    request, slot = a.requests[0], a.slots[0]
    out = Outputs()

    def refused(field, response):
        """A form sent back with its error (400): the payload is refused, and the page
        that says so shows it as text too."""
        assert response.status_code == 400, (field, response.status_code)
        out.refused[field] += 1
        live = scan_html(response.content.decode()).live
        if live:
            out.holes.append((field, "refused form", live[:3]))

    def pages(field, payloads):
        customer_page = client.get(
            reverse("servicedesk:request", kwargs={"request_id": request.public_id})
        )
        staff_page = staff_client.get(reverse("servicedesk_request", args=[request.pk]))
        out.html(field, "customer request page", customer_page, payloads)
        out.html(field, "staff request page", staff_page, payloads)

    for payload, shown in rounds():
        # The customer reopens a resolved request, saying why.
        Request.objects.filter(pk=request.pk).update(status=Request.Status.RESOLVED, assignee=agent)
        before = last_delivery_pk()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("servicedesk:reopen", kwargs={"request_id": request.public_id}),
                {"reason": payload},
            )
        if response.status_code != 302:
            refused("reopen reason", response)
        else:
            for delivery in new_deliveries(before):
                out.email("reopen reason", delivery, shown)
            pages("reopen reason", shown)

        # Resolved again, accepted, and rated with a comment.
        Request.objects.filter(pk=request.pk).update(status=Request.Status.RESOLVED, rating=None)
        client.post(reverse("servicedesk:accept", kwargs={"request_id": request.public_id}))
        response = client.post(
            reverse("servicedesk:rate", kwargs={"request_id": request.public_id}),
            {"rating": "1", "comment": payload},
        )
        if response.status_code != 302:
            refused("rating comment", response)
        else:
            pages("rating comment", shown)

        # Staff describe a cost and the place of the visit (their forms refuse a NUL).
        written = payload.replace("\x00", "")[:200]
        CostItem.objects.filter(request=request).update(description=written)
        slot.location = written
        slot.save(update_fields=["location"])
        kept = within([p.replace("\x00", "") for p in shown], written, 200)
        pages("cost item and visit place", kept)
        out.html(
            "cost item and visit place",
            "customer appointment list",
            client.get(reverse("servicedesk:appointments")),
            kept,
        )
        out.pdf(
            "cost item and visit place",
            client.get(reverse("servicedesk:cost_pdf", kwargs={"request_id": request.public_id})),
            kept,
        )
        ics = client.get(reverse("servicedesk:appointment_ics", kwargs={"slot_id": slot.public_id}))
        assert ics.status_code == 200
        unfolded = ics.content.decode().replace("\r\n ", "")
        names = [line.split(":", 1)[0].split(";", 1)[0] for line in unfolded.split("\r\n") if line]
        known = {
            "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "UID", "DTSTAMP",
            "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "URL", "STATUS", "LOCATION",
        }  # fmt: skip
        if set(names) - known or names.count("LOCATION") != 1:
            out.holes.append(("visit place", ".ics", sorted(set(names) - known)))
        out.checked[("cost item and visit place", ".ics")] += 1

    write_report("xss resolution and visit", tally_lines(out))
    assert out.holes == []
    for field, output in [
        ("reopen reason", "customer request page"),
        ("reopen reason", "staff request page"),
        ("rating comment", "staff request page"),
        ("cost item and visit place", "customer request page"),
        ("cost item and visit place", "customer appointment list"),
        ("cost item and visit place", "PDF"),
        ("cost item and visit place", ".ics"),
    ]:
        assert out.checked[(field, output)] >= 1, (field, output, dict(out.checked))


def test_the_scanner_sees_live_markup_and_passes_escaped_text():
    """The checks above are only as good as this parser: it must tell the two apart."""
    from django.utils.html import escape

    for payload in XSS_PAYLOADS:
        shown = scan_html(f'<p>{escape(payload)}</p><input value="{escape(payload)}">')
        assert shown.live == [], payload
    live = [p for p in XSS_PAYLOADS if scan_html(f"<p>{p}</p>").live]
    attribute = [p for p in XSS_PAYLOADS if scan_html(f'<input value="{p}">').live]
    # every payload made of markup or a quote breakout is caught somewhere when left raw
    assert len(set(live) | set(attribute)) >= 30


# SQL-looking values in every filter, search and ordering


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def walk_routes(namespaces=None, prefix=""):
    """(name, view, pattern) of named routes without arguments."""
    found = []

    def walk(patterns, namespace, path):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace, path + str(entry.pattern))
            elif (
                isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groupindex
            ):
                full = path + str(entry.pattern)
                if (namespaces is None or namespace in namespaces) and full.startswith(prefix):
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                    found.append((name, entry.callback))

    walk(get_resolver().url_patterns, None, "")
    return found


def parameters_read_by(view) -> set[str]:
    """Query parameters a view reads: `GET.get("x")`, `GET.getlist("x")` and the fields of a
    form bound to `request.GET` (found in the view's source, so new ones are probed too)."""
    import inspect

    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    target = cls or view
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        return set()
    names = set(re.findall(r"GET\.(?:get|getlist)\(\s*[\"'](\w+)[\"']", source))
    module = inspect.getmodule(target)
    for form_name in re.findall(r"(\w+Form)\((?:self\.)?(?:http_)?request\.GET", source):
        form = getattr(module, form_name, None)
        if form is not None:
            names |= set(form.base_fields)
    return names


def secrets_of(side) -> list[str]:
    return [
        side.customer.number,
        *(invoice.number for invoice in side.invoices),
        *(request.subject for request in side.requests),
        *(meter.serial_number for meter in side.meters),
    ]


class Probes:
    """Sends hostile query strings and keeps what went wrong: a 500, a 400 naming nothing,
    another customer's data in the answer."""

    def __init__(self, b=None):
        self.secrets = secrets_of(b) if b is not None else []
        self.count = Counter()
        self.failures = []

    def check(self, kind, client, url, params, allowed=(200, 400)):
        client.raise_request_exception = False
        response = client.get(url, params)
        self.count[kind] += 1
        body = b"".join(response) if response.streaming else response.content
        body = body.decode(errors="replace")
        shown = {key: str(value)[:40] for key, value in params.items()}
        if response.status_code not in allowed:
            self.failures.append((url, shown, response.status_code))
        elif response.status_code == 400 and "json" in response.get("Content-Type", ""):
            error = json.loads(body)
            inner = error.get("error") if isinstance(error, dict) else None
            named = (inner.get("fields") or inner.get("message")) if inner else error
            if not named:
                self.failures.append((url, shown, "400 without a named field"))
        leaked = [secret for secret in self.secrets if secret in body]
        if leaked:
            self.failures.append((url, shown, f"another customer's data: {leaked[:2]}"))
        return response


BOOKKEEPING = {"customers.MessageReceipt", "customers.AuditEvent", "sessions.Session"}
"""Rows a visit may write (read receipts, the audit trail); every other count must stay."""


def data_counts() -> dict[str, int]:
    return {key: n for key, n in row_counts().items() if key not in BOOKKEEPING}


# A value of each kind for the parameters every route is asked (all at once, to stay fast).
SHORT_LIST = [SQL_PAYLOADS[0], SQL_PAYLOADS[4], SQL_PAYLOADS[9], SQL_PAYLOADS[11]]
# The admin's listings are heavy pages: a quote, a wildcard, a unicode quote, NUL, length.
ADMIN_LIST = [SQL_PAYLOADS[i] for i in (0, 6, 7, 9, 11)]
OUR_ADMIN_LISTINGS = (
    r"^(wagtailsnippets_\w+:list|\w+_modeladmin_index|servicedesk_queue|metering_review_queue"
    r"|customers_inbox_customer_search|wagtailforms:index|wagtailadmin_pages:search"
    r"|wagtailusers_users:index)$"
)
"""The listings of the portal's own registers, and Wagtail's of forms, pages and users."""


def probe_route(probes, kind, client, url, own, allowed, payloads=SQL_PAYLOADS):
    """The parameters the view reads, one at a time, with every payload; then all of them
    and the generic ones together with a few."""
    for param in sorted(own):
        for value in payloads:
            probes.check(kind, client, url, {param: value}, allowed)
    generic = own | {"page", "q", "ordering", "o", "sort", "search"}
    for value in SHORT_LIST:
        probes.check(kind, client, url, dict.fromkeys(generic, value), allowed)


def test_sql_looking_values_in_the_customer_area_and_site_search(client, two_customers, home_page):
    """Every query parameter the customer's pages read (found in their source), and the site
    search, with hostile values."""
    a, b = two_customers.a, two_customers.b
    client.force_login(a.owner)
    step_up(client)
    probes = Probes(b)
    before = data_counts()
    namespaces = {"customer", "billing", "metering", "servicedesk", "announcements"}
    routes = [(reverse(name), view) for name, view in walk_routes(namespaces)]
    routes += [(reverse("search"), walk_routes(None, "search/")[0][1])]
    routes += [
        (reverse(name, kwargs=kwargs), None)
        for name, kwargs in [
            ("metering:consumption", {"service_point_id": a.service_points[0].public_id}),
            ("metering:export", {"service_point_id": a.service_points[0].public_id}),
            ("metering:meter", {"meter_id": a.meters[0].public_id}),
        ]
    ]
    allowed = (200, 302, 400, 403, 404, 405)
    own_params = set()
    for url, view in routes:
        view = view or get_resolver().resolve(url).func
        if client.get(url).status_code in (302, 405):
            continue  # an action or a redirect: it reads no filters
        own = parameters_read_by(view)
        own_params |= own
        probe_route(probes, "customer pages", client, url, own, allowed)
    assert data_counts() == before
    write_report(
        "sql customer pages",
        [f"{len(routes)} routes, {len(own_params)} query parameters read in their source "
         f"({', '.join(sorted(own_params))}), {probes.count['customer pages']} requests, "
         f"{len(SQL_PAYLOADS)} payloads, {len(probes.failures)} failures"],
    )  # fmt: skip
    assert probes.failures == []
    assert {"q", "status", "year"} <= own_params, "the walk over the views' sources is broken"


def test_sql_looking_values_in_every_api_filter_search_and_ordering(client, two_customers):
    """Filters come from each viewset's filterset, search and ordering fields, so a new filter
    is probed the day it is added; orderings include fields that must not be sortable."""
    from config.api import api_v1_router

    a, b = two_customers.a, two_customers.b
    client.force_login(a.owner)
    probes = Probes(b)
    before = data_counts()
    endpoints, params_seen = 0, 0
    allowed = (200, 400, 403, 404)
    for _prefix, viewset, basename in api_v1_router.registry:
        try:
            url = reverse(f"api-v1:{basename}-list")
        except NoReverseMatch:
            continue
        endpoints += 1
        own = set()
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None:
            own |= set(filterset.base_filters)
        own |= set(getattr(viewset, "filterset_fields", None) or [])
        if getattr(viewset, "search_fields", None):
            own.add("search")
        if getattr(viewset, "ordering_fields", None):
            own.add("ordering")
        params_seen += len(own)
        probe_route(probes, "api v1", client, url, own, allowed)
        for ordering in HOSTILE_ORDERING:
            response = probes.check("api v1", client, url, {"ordering": ordering}, allowed)
            if response.status_code == 200 and "password" in ordering:
                assert "pbkdf2" not in response.content.decode(), url
    assert data_counts() == before
    write_report(
        "sql api v1",
        [f"{endpoints} list endpoints, {params_seen} filter/search/ordering parameters, "
         f"{probes.count['api v1']} requests ({len(SQL_PAYLOADS)} payloads, "
         f"{len(HOSTILE_ORDERING)} orderings), {len(probes.failures)} failures"],
    )  # fmt: skip
    assert probes.failures == []


def test_sql_looking_values_in_the_content_api(client, two_customers, home_page):
    from config.api import content_api_router

    probes = Probes(two_customers.b)
    before = data_counts()
    params = {"search", "fields", "order", "type", "title", "slug", "child_of", "search_operator"}
    for name in content_api_router._endpoints:
        url = f"/api/v2/{name}/"
        probe_route(probes, "api v2", client, url, params, (200, 400))
        for ordering in HOSTILE_ORDERING:
            probes.check("api v2", client, url, {"order": ordering})
            probes.check("api v2", client, url, {"fields": ordering})
    assert data_counts() == before
    write_report(
        "sql api v2",
        [f"{len(content_api_router._endpoints)} endpoints, {probes.count['api v2']} requests, "
         f"{len(probes.failures)} failures"],
    )  # fmt: skip
    assert probes.failures == []


def test_sql_looking_values_in_every_admin_list_search(staff_client, two_customers):
    """Every admin listing (snippets, model admin, the request queue) with `q` and the
    parameters its view reads."""
    probes = Probes()  # staff see every customer by design
    before = data_counts()
    routes = [
        (name, view)
        for name, view in walk_routes(None, "admin/")
        if re.search(OUR_ADMIN_LISTINGS, name)
    ]
    for name, view in routes:
        own = {"q"} | parameters_read_by(view)
        probe_route(
            probes, "admin", staff_client, reverse(name), own, (200, 302, 400, 403, 404), ADMIN_LIST
        )
    assert data_counts() == before
    write_report(
        "sql admin",
        [f"{len(routes)} admin listings, {probes.count['admin']} requests, "
         f"{len(probes.failures)} failures"],
    )  # fmt: skip
    assert probes.failures == []


def test_admin_listings_refuse_lookups_on_fields_they_do_not_filter(staff_client, two_customers):
    """A listing's query string may not filter on any field path: `?requested_by__password__
    startswith=` would tell, row by row, what a password hash begins with."""
    from customers.models import ChangeRequest

    user = two_customers.a.owner
    ChangeRequest.objects.create(customer=two_customers.a.customer, requested_by=user, changes={})
    url = reverse("customers_changerequest_modeladmin_index")
    staff_client.raise_request_exception = False
    for lookup in (
        f"requested_by__password__startswith={user.password[:12]}",
        "customer__memberships__user__password__startswith=pbkdf2",
        "ordering=1",
        "customer__name__regex=(a+)+$",
    ):
        response = staff_client.get(f"{url}?{lookup}")
        assert response.status_code == 400, (lookup, response.status_code)
    assert staff_client.get(f"{url}?status=pending").status_code == 200
