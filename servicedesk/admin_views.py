"""The desk's side in the Wagtail admin: the queue, one request with everything about it,
and its files."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component

from . import services, workflow
from .deadlines import SlaState, sla_counts, sla_filter, sla_state
from .forms import MultipleFileField
from .models import Attachment, Event, Priority, Request, RequestType
from .sla import format_business_duration
from .views import answers_of, deadline_context

PERMISSION = "servicedesk.change_request"
PAGE_SIZE = 50

S = Request.Status


def staff_users():
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("last_name", "first_name", "email")
    )


def person(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


class StaffChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=staff_users(), **kwargs)

    def label_from_instance(self, obj) -> str:
        return person(obj)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    type = forms.ModelChoiceField(
        label=gettext_lazy("Type"),
        queryset=RequestType.objects.all(),
        required=False,
        empty_label=gettext_lazy("all types"),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Group.objects.filter(desk_team__isnull=False).order_by("name"),
        required=False,
        empty_label=gettext_lazy("all teams"),
    )
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    sla = forms.ChoiceField(
        label=gettext_lazy("SLA"),
        required=False,
        choices=[("", gettext_lazy("any")), *SlaState.choices],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["status"].choices = [
            ("", _("all")),
            ("open", _("open (not closed or rejected)")),
            *S.choices,
        ]
        self.fields["assignee"].choices = [
            ("", _("anyone")),
            ("me", _("me")),
            ("nobody", _("nobody")),
            *((str(staff.pk), person(staff)) for staff in staff_users()),
        ]

    def filter(self, requests: models.QuerySet, now: datetime) -> models.QuerySet:
        """The requests matching the valid filters; an invalid one is ignored."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status")
        if status == "open":
            requests = requests.open()
        elif status:
            requests = requests.filter(status=status)
        if data.get("type"):
            requests = requests.filter(request_type=data["type"])
        if data.get("team"):
            requests = requests.filter(team=data["team"])
        assignee = data.get("assignee")
        if assignee == "me":
            requests = requests.filter(assignee=self.user)
        elif assignee == "nobody":
            requests = requests.filter(assignee__isnull=True)
        elif assignee:
            requests = requests.filter(assignee_id=assignee)
        if data.get("sla"):
            requests = requests.filter(sla_filter(data["sla"], now))
        return requests


class BulkAssignForm(forms.Form):
    requests = forms.ModelMultipleChoiceField(
        queryset=Request.objects.all(),
        error_messages={"required": gettext_lazy("Tick the requests to assign.")},
    )
    assignee = StaffChoiceField(label=gettext_lazy("Assign to"))


@permission_required(PERMISSION, raise_exception=True)
def queue(http_request):
    """Every request, filtered; the open ones by default. Staff assign several at once."""
    if http_request.method == "POST":
        _bulk_assign(http_request)
        return redirect(http_request.get_full_path())
    now = timezone.now()
    data = http_request.GET.copy()
    data.setdefault("status", "open")
    filters = QueueFilterForm(data, user=http_request.user)
    requests = filters.filter(
        Request.objects.select_related(
            "customer", "request_type__calendar", "assignee", "team"
        ).prefetch_related("request_type__calendar__holidays"),
        now,
    ).order_by(F("resolution_due").asc(nulls_last=True), "-created_at")
    page = Paginator(requests, PAGE_SIZE).get_page(http_request.GET.get("p"))
    for request in page:
        state = sla_state(request, now)
        request.sla = SlaState(state) if state else None
    return TemplateResponse(
        http_request,
        "servicedesk/admin/queue.html",
        {"filters": filters, "page": page, "assign_form": BulkAssignForm()},
    )


def _bulk_assign(http_request) -> None:
    form = BulkAssignForm(http_request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(http_request, " ".join(errors))
        return
    assignee = form.cleaned_data["assignee"]
    assigned, refused = [], []
    for request in form.cleaned_data["requests"]:
        try:
            if not request.is_open:
                raise ValidationError(_("A closed request cannot be assigned."))
            services.assign(request, assignee=assignee, actor=http_request.user)
        except ValidationError:
            refused.append(request.reference)
        else:
            assigned.append(request.reference)
    if assigned:
        messages.success(
            http_request,
            _("Assigned to %(person)s: %(references)s.")
            % {"person": person(assignee), "references": ", ".join(assigned)},
        )
    if refused:
        messages.error(
            http_request,
            _("Closed, so not assigned: %(references)s.") % {"references": ", ".join(refused)},
        )


class RequestActionForm(forms.Form):
    """A form on the request's page: it knows its request and the service it calls."""

    action = ""

    def __init__(self, *args, req: Request, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.req = req

    def save(self, user) -> str:
        """Do it; the message for the member of staff."""
        raise NotImplementedError


class StaffReplyForm(RequestActionForm):
    action = "reply"
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Write a message.")},
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note, never shown to the customer"), required=False
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"))

    def save(self, user) -> str:
        internal = self.cleaned_data["internal"]
        services.reply(
            self.req,
            author=user,
            body=self.cleaned_data["body"],
            by_staff=True,
            internal=internal,
            uploads=services.checked(self.cleaned_data["attachments"]),
        )
        return _("Internal note saved.") if internal else _("Reply sent to the customer.")


class StatusForm(RequestActionForm):
    action = "status"
    status = forms.ChoiceField(label=gettext_lazy("New status"))
    text = forms.CharField(
        label=gettext_lazy("Message to the customer"),
        help_text=gettext_lazy("Required when waiting for the customer, resolving or rejecting."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, req: Request, **kwargs):
        super().__init__(*args, req=req, **kwargs)
        labels = dict(S.choices)
        # No status is preselected: closing a resolved request must be a choice, not a click.
        self.fields["status"].choices = [
            ("", "—"),
            *((status, labels[status]) for status in workflow.allowed(req, by_staff=True)),
        ]

    def save(self, user) -> str:
        request = services.change_status(
            self.req,
            self.cleaned_data["status"],
            actor=user,
            by_staff=True,
            text=self.cleaned_data["text"],
        )
        return _("The request is now %(status)s.") % {"status": request.get_status_display()}


class AssignForm(RequestActionForm):
    action = "assign"
    assignee = StaffChoiceField(label=gettext_lazy("Assign to"))

    def save(self, user) -> str:
        assignee = self.cleaned_data["assignee"]
        services.assign(self.req, assignee=assignee, actor=user)
        return _("Assigned to %(person)s.") % {"person": person(assignee)}


class PriorityForm(RequestActionForm):
    action = "priority"
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices)

    def save(self, user) -> str:
        priority = self.cleaned_data["priority"]
        services.change_priority(self.req, priority=priority, actor=user)
        return _("Priority: %(priority)s.") % {"priority": Priority(priority).label}


ACTION_FORMS = {
    form.action: form for form in (StaffReplyForm, StatusForm, AssignForm, PriorityForm)
}


@permission_required(PERMISSION, raise_exception=True)
def request_detail(http_request, pk):
    """Everything about one request, and every staff action on it from this one page."""
    req = get_object_or_404(
        Request.objects.select_related(
            "customer",
            "filed_by",
            "request_type__calendar",
            "service_point",
            "assignee",
            "team",
        ),
        pk=pk,
    )
    bound = None
    if http_request.method == "POST":
        form_class = ACTION_FORMS.get(http_request.POST.get("action", ""))
        if form_class is not None:
            bound = form_class(http_request.POST, http_request.FILES, req=req)
            if bound.is_valid():
                try:
                    message = bound.save(http_request.user)
                except ValidationError as error:
                    _add_errors(bound, error)
                else:
                    messages.success(http_request, message)
                    return redirect("servicedesk_request", pk=req.pk)
    forms_by_action = {
        action: bound if bound is not None and bound.action == action else form_class(req=req)
        for action, form_class in ACTION_FORMS.items()
    }
    forms_by_action["assign"].initial.setdefault("assignee", req.assignee_id)
    forms_by_action["priority"].initial.setdefault("priority", req.priority)
    now = timezone.now()
    state = sla_state(req, now)
    return TemplateResponse(
        http_request,
        "servicedesk/admin/request_detail.html",
        {
            "req": req,
            "sla": SlaState(state) if state else None,
            "thread": req.messages.select_related("author").prefetch_related("attachments"),
            "request_files": req.attachments.filter(message__isnull=True),
            "events": _history(req.events.select_related("actor")),
            "answers": answers_of(req),
            "order_lines": req.order_lines.all(),
            "first_response_left": _left(req, req.first_response_left),
            "resolution_left": _left(req, req.resolution_left),
            **deadline_context(req, now),
            **{f"{action}_form": form for action, form in forms_by_action.items()},
        },
    )


def _left(req: Request, left: timedelta | None) -> str:
    if left is None:
        return ""
    return format_business_duration(left, req.request_type.calendar.hours_per_day)


def _history(events: Iterable[Event]) -> list[Event]:
    labels = dict(S.choices)
    events = list(events)
    for event in events:
        event.from_status_label = labels.get(event.from_status, "")
        event.to_status_label = labels.get(event.to_status, "")
    return events


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@permission_required(PERMISSION, raise_exception=True)
def attachment(http_request, pk, attachment_id):
    """Any file of the request, staff-only ones too; always a download, never rendered."""
    file = get_object_or_404(Attachment, request_id=pk, public_id=attachment_id)
    response = FileResponse(
        file.file.open("rb"),
        as_attachment=True,
        filename=file.original_name,
        content_type=file.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


class RequestsPanel(Component):
    """The dashboard's count of open requests by SLA state, each a link into the queue."""

    name = "servicedesk_requests"
    template_name = "servicedesk/admin/home_panel.html"
    order = 90

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None) -> dict:
        counts = sla_counts(timezone.now())
        url = reverse("servicedesk_queue")
        return {
            "states": [
                (state, label, counts[state], f"{url}?sla={state}")
                for state, label in SlaState.choices
            ],
            "queue_url": url,
        }
