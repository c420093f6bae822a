"""The customer's requests: list, filing, the thread, accepting or reopening, rating, files."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from customers.models import Ability
from customers.views import AreaFrameMixin

from . import services, workflow
from .forms import RatingForm, ReopenForm, ReplyForm, RequestForm
from .models import Attachment, Request, RequestType
from .sla import BusinessClock, format_business_duration

S = Request.Status


class DeskMixin(AreaFrameMixin):
    required_ability = Ability.FILE_REQUESTS

    def requests(self):
        return Request.objects.for_membership(self.membership)

    def get_request(self, request_id) -> Request:
        return get_object_or_404(
            self.requests().select_related(
                "request_type__calendar", "service_point", "assignee", "filed_by"
            ),
            public_id=request_id,
        )


class RequestListView(DeskMixin, ListView):
    template_name = "servicedesk/request_list.html"
    context_object_name = "requests"
    paginate_by = 20

    def get_queryset(self):
        requests = self.requests().select_related("request_type", "service_point")
        if self.request.GET.get("status") == "open":
            requests = requests.open()
        elif self.request.GET.get("status") == "closed":
            requests = requests.filter(status__in=Request.CLOSED_STATUSES)
        return requests.order_by("-created_at")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "status": self.request.GET.get("status", ""),
            "now": timezone.now(),
        }


class ChooseTypeView(DeskMixin, TemplateView):
    template_name = "servicedesk/choose_type.html"

    def get_context_data(self, **kwargs):
        types = RequestType.objects.for_membership(self.membership)
        return {**super().get_context_data(**kwargs), "types": types}


class FileRequestView(DeskMixin, FormView):
    template_name = "servicedesk/file_request.html"
    form_class = RequestForm

    def get_request_type(self) -> RequestType:
        if not hasattr(self, "request_type"):
            self.request_type = get_object_or_404(
                RequestType.objects.for_membership(self.membership).prefetch_related("fields"),
                slug=self.kwargs["slug"],
            )
        return self.request_type

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "request_type": self.get_request_type(),
            "membership": self.membership,
        }

    def form_valid(self, form):
        request = services.file_request(
            membership=self.membership,
            user=self.request.user,
            request_type=self.get_request_type(),
            data=form.data_to_store(),
            service_point=form.service_point(),
            subject=form.subject(),
            uploads=form.uploads(),
            order_lines=form.order_lines(),
            http_request=self.request,
        )
        messages.success(
            self.request,
            _("Thank you. Your request %(reference)s is filed; we will answer by %(due)s.")
            % {
                "reference": request.reference,
                "due": timezone.localtime(request.first_response_due).strftime("%d.%m.%Y %H:%M"),
            },
        )
        return redirect("servicedesk:request", request_id=request.public_id)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "request_type": self.get_request_type()}


def deadline_context(request: Request, now) -> dict:
    """What the customer reads about time: the deadline, the time left, or the pause."""
    calendar = request.request_type.calendar
    clock = BusinessClock(calendar)
    context = {"deadline": None, "time_left": None, "overdue": False, "paused": request.is_paused}
    if not request.is_open or request.status == S.RESOLVED:
        return context
    due = request.resolution_due
    context["deadline"] = due
    if request.is_paused:
        left = request.resolution_left
    elif due and due > now:
        left = clock.between(now, due)
    else:
        left = None
        context["overdue"] = bool(due)
    if left is not None:
        context["time_left"] = format_business_duration(left, calendar.hours_per_day)
    return context


class RequestDetailView(DeskMixin, TemplateView):
    template_name = "servicedesk/request_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.get_request(self.kwargs["request_id"])
        now = timezone.now()
        context.update(
            req=request,
            thread=request.messages.filter(internal=False)
            .select_related("author")
            .prefetch_related("attachments"),
            request_files=request.attachments.filter(message__isnull=True, internal=False),
            events=_labelled(request.events.filter(public=True).order_by("created_at")),
            customer_moves=workflow.allowed(request, by_staff=False),
            reply_form=kwargs.get("reply_form") or ReplyForm(),
            reopen_form=kwargs.get("reopen_form") or ReopenForm(),
            rating_form=kwargs.get("rating_form") or RatingForm(),
            order_lines=request.order_lines.all(),
            answers=answers_of(request),
            **deadline_context(request, now),
        )
        return context


def _labelled(events) -> list:
    labels = dict(S.choices)
    events = list(events)
    for event in events:
        event.to_status_label = labels.get(event.to_status, "")
    return events


def answers_of(request: Request) -> list[tuple[str, object]]:
    """The form answers with their labels, in the type's order, for reading back."""
    answers = []
    for spec in request.request_type.fields.all():
        value = request.data.get(spec.key)
        if spec.kind in ("order_lines", "file") or value in (None, "", []):
            continue  # order lines and files are shown on their own
        if spec.kind == "yes_no":
            value = _("yes") if value else _("no")
        answers.append((spec.display_label, value))
    return answers


class RequestActionView(DeskMixin, View):
    """The customer's POSTs on a request: reply, accept the resolution, reopen, rate."""

    action = ""

    def post(self, http_request, request_id):
        request = self.get_request(request_id)
        user = http_request.user
        forms = {}
        try:
            if self.action == "reply":
                form = forms["reply_form"] = ReplyForm(http_request.POST, http_request.FILES)
                if form.is_valid():
                    services.reply(
                        request,
                        author=user,
                        body=form.cleaned_data["body"],
                        by_staff=False,
                        uploads=services.checked(form.cleaned_data["attachments"]),
                    )
                    messages.success(http_request, _("Your message has been sent."))
            elif self.action == "accept":
                services.change_status(request, S.CLOSED, actor=user, by_staff=False)
                messages.success(http_request, _("Thank you. The request is closed."))
            elif self.action == "reopen":
                form = forms["reopen_form"] = ReopenForm(http_request.POST)
                if form.is_valid():
                    services.change_status(
                        request,
                        S.REOPENED,
                        actor=user,
                        by_staff=False,
                        text=form.cleaned_data["reason"],
                    )
                    messages.success(
                        http_request, _("The request is reopened; we will look at it again.")
                    )
            elif self.action == "rate":
                form = forms["rating_form"] = RatingForm(http_request.POST)
                if form.is_valid():
                    services.rate(
                        request,
                        user=user,
                        rating=form.cleaned_data["rating"],
                        comment=form.cleaned_data["comment"],
                    )
                    messages.success(http_request, _("Thank you for your rating."))
            else:
                raise Http404
        except ValidationError as error:
            messages.error(http_request, " ".join(error.messages))
        invalid = {name: form for name, form in forms.items() if not form.is_valid()}
        if invalid:
            page = RequestDetailView()
            page.setup(http_request, request_id=request_id)
            page.membership, page.customer = self.membership, self.customer
            return page.render_to_response(page.get_context_data(**invalid), status=400)
        return redirect("servicedesk:request", request_id=request.public_id)


class AttachmentView(DeskMixin, View):
    """A file of the request, never a staff-only one, always as a download with `nosniff`."""

    def get(self, http_request, request_id, attachment_id):
        request = self.get_request(request_id)
        attachment = get_object_or_404(
            Attachment.objects.filter(request=request, internal=False), public_id=attachment_id
        )
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response
