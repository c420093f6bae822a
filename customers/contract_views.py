"""Contracts in the customer area: list, versions, downloads, accepting new terms."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from . import audit
from .audit import client_ip
from .models import Ability, AuditEvent, Contract, ContractAcceptance, ContractDocument
from .views import AreaFrameMixin


class ContractListView(AreaFrameMixin, ListView):
    required_ability = Ability.VIEW_CONTRACTS
    template_name = "customers/contract_list.html"
    context_object_name = "contracts"

    def get_queryset(self):
        return Contract.objects.for_membership(self.membership).prefetch_related("service_points")


class ContractDetailView(AreaFrameMixin, DetailView):
    required_ability = Ability.VIEW_CONTRACTS
    template_name = "customers/contract_detail.html"
    context_object_name = "contract"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Contract.objects.for_membership(self.membership).prefetch_related(
                "documents__acceptances__user", "service_points"
            ),
            public_id=self.kwargs["contract_id"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_accept"] = self.membership.can(Ability.CHANGE_DATA)
        return context


def _document(view, document_id) -> ContractDocument:
    return get_object_or_404(
        ContractDocument.objects.select_related("contract").filter(
            contract__in=Contract.objects.for_membership(view.membership)
        ),
        public_id=document_id,
    )


class ContractDocumentView(AreaFrameMixin, View):
    required_ability = Ability.VIEW_CONTRACTS

    def get(self, request, document_id):
        document = _document(self, document_id)
        audit.record(AuditEvent.Action.DOWNLOAD, request, customer=self.customer, obj=document)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            content_type="application/pdf",
            filename=f"{document.contract.number}-v{document.version}.pdf".replace("/", "-"),
        )
        response["Cache-Control"] = "private, no-store"
        return response


class AcceptTermsView(AreaFrameMixin, View):
    """The owner accepts new terms; time, user and address are kept."""

    required_ability = Ability.CHANGE_DATA

    def post(self, request, document_id):
        document = _document(self, document_id)
        if not document.requires_acceptance:
            messages.error(request, _("This document needs no acceptance."))
        else:
            try:
                with transaction.atomic():
                    ContractAcceptance.objects.create(
                        document=document, user=request.user, ip_address=client_ip(request)
                    )
            except IntegrityError:
                messages.info(request, _("These terms have been accepted already."))
            else:
                audit.record(
                    AuditEvent.Action.DATA_CHANGED,
                    request,
                    customer=self.customer,
                    obj=document,
                    change="terms accepted",
                )
                messages.success(request, _("Thank you: you have accepted the new terms."))
        return HttpResponseRedirect(
            reverse("customer:contract", args=[document.contract.public_id])
        )
