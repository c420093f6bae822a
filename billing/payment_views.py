"""Paying online: choosing what to pay, the provider's notifications, the sandbox page."""

import contextlib
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, TemplateView

from customers.audit import client_ip
from customers.models import Ability
from customers.views import AreaFrameMixin

from .models import AdvanceInstalment, Invoice, OnlinePayment
from .online import PaymentRefused, handle_notification, start_online_payment
from .providers import NotFinal, SignatureError, get_provider
from .providers.payu_client import PayUError
from .providers.przelewy24_client import Przelewy24Error
from .providers.sandbox import SIGNATURE_HEADER, notification_body, sign

logger = logging.getLogger(__name__)


class PayView(AreaFrameMixin, TemplateView):
    """Choose invoices and instalments (or everything overdue, or a part) and pay online."""

    required_ability = Ability.PAY
    template_name = "billing/pay.html"

    def open_items(self):
        invoices = list(
            Invoice.objects.for_membership(self.membership).unpaid().order_by("due_date", "number")
        )
        instalments = list(
            AdvanceInstalment.objects.for_membership(self.membership).unpaid().order_by("due_date")
        )
        return invoices, instalments

    def render(self, request, invoices, instalments, selected, errors, amount=""):
        return self.render_to_response(
            self.get_context_data(
                invoices=invoices,
                instalments=instalments,
                selected=selected,
                errors=errors,
                amount=amount,
                today=timezone.localdate(),
            )
        )

    def get(self, request):
        invoices, instalments = self.open_items()
        today = timezone.localdate()
        if request.GET.get("overdue"):
            selected = {str(i.public_id) for i in [*invoices, *instalments] if i.due_date < today}
        else:
            selected = set(request.GET.getlist("item"))
        return self.render(request, invoices, instalments, selected, [])

    def post(self, request):
        invoices, instalments = self.open_items()
        by_id = {str(item.public_id): item for item in [*invoices, *instalments]}
        selected = set(request.POST.getlist("item"))
        errors = []
        if not selected:
            errors.append(_("Choose at least one invoice or instalment."))
        if selected - set(by_id):
            errors.append(_("Some of the chosen documents are paid already or not yours."))
        chosen = [by_id[key] for key in selected if key in by_id]
        total = sum((item.open_amount for item in chosen), Decimal("0"))
        amount_text = request.POST.get("amount", "").strip().replace(" ", "").replace(",", ".")
        amount = None
        if amount_text:
            try:
                amount = Decimal(amount_text)
            except InvalidOperation:
                errors.append(_("Amount: enter a number, e.g. 120,50."))
            else:
                if amount <= 0 or amount.as_tuple().exponent < -2:
                    errors.append(_("Amount: enter a positive amount in złoty and grosze."))
                elif amount > total:
                    errors.append(_("Amount: it cannot be more than the chosen documents' total."))
        if errors:
            return self.render(
                request, invoices, instalments, selected, errors, request.POST.get("amount", "")
            )
        try:
            payment, redirect_url = start_online_payment(
                membership=self.membership,
                user=request.user,
                invoices=[i for i in chosen if isinstance(i, Invoice)],
                instalments=[i for i in chosen if isinstance(i, AdvanceInstalment)],
                amount=amount,
                provider_name=settings.PAYMENT_PROVIDERS[0],
                return_url_for=lambda payment: request.build_absolute_uri(
                    reverse("billing:online_payment", args=[payment.public_id])
                ),
                notify_url=request.build_absolute_uri(
                    reverse("payment_notification", args=[settings.PAYMENT_PROVIDERS[0]])
                ),
                customer_ip=client_ip(request) or "127.0.0.1",
            )
        except (PayUError, Przelewy24Error, ImproperlyConfigured):
            logger.exception("Starting an online payment failed")
            errors.append(_("The payment provider cannot be reached now. Try again in a moment."))
            return self.render(
                request, invoices, instalments, selected, errors, request.POST.get("amount", "")
            )
        return HttpResponseRedirect(redirect_url)


class OnlinePaymentView(AreaFrameMixin, DetailView):
    """Where the customer lands back from the provider: how the payment stands."""

    required_ability = Ability.VIEW_BILLING
    template_name = "billing/online_payment.html"
    context_object_name = "online_payment"

    def get_object(self, queryset=None):
        return get_object_or_404(
            OnlinePayment.objects.for_membership(self.membership),
            public_id=self.kwargs["online_payment_id"],
        )


@csrf_exempt  # called by the provider's server, which has no CSRF token; the signature guards it
def payment_notification(request, provider: str):
    if request.method != "POST":
        return HttpResponse(status=405)
    headers = {key: value for key, value in request.headers.items()}
    try:
        outcome = handle_notification(provider, headers, request.body)
    except LookupError as error:
        raise Http404 from error
    except (SignatureError, PaymentRefused) as error:
        return HttpResponseBadRequest(str(error))
    except NotFinal:
        return HttpResponse("not final")  # e.g. PayU's PENDING: acknowledged, nothing booked
    return HttpResponse(outcome)


class SandboxPaymentPage(LoginRequiredMixin, View):
    """The sandbox provider's payment page: pay or fail, then back to the portal.

    Only the customer's own users reach it; production refuses to enable the sandbox.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            get_provider("sandbox")
        except LookupError as error:
            raise Http404 from error
        self.payment = get_object_or_404(
            OnlinePayment.objects.visible_to(request.user),
            public_id=kwargs["payment_id"],
            provider="sandbox",
        )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, payment_id):
        return TemplateResponse(request, "billing/sandbox_page.html", {"payment": self.payment})

    def post(self, request, payment_id):
        paid = request.POST.get("decision") == "pay"
        body = notification_body(
            self.payment.provider_order_id, paid, self.payment.amount, self.payment.currency
        )
        with contextlib.suppress(PaymentRefused):  # logged; the page just shows the state
            handle_notification("sandbox", {SIGNATURE_HEADER: sign(body)}, body)
        return HttpResponseRedirect(
            reverse("billing:online_payment", args=[self.payment.public_id])
        )
