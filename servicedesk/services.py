"""Filing a request, routing it, replies and notes, the customer's answer to a resolution.

Views (customer area, admin, API) call these; they lock the request row, write the
history and queue the e-mails, so every door behaves the same.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEvent, Membership
from documents.uploads import CheckedUpload, check_uploads
from notifications.events import emit
from notifications.models import Category
from notifications.services import notify, send_email

from . import workflow
from .models import Attachment, Event, Message, OrderLine, Request, RequestType

S = Request.Status


def locked(request: Request) -> Request:
    """The request re-read under a row lock: concurrent changes wait for each other."""
    return (
        Request.objects.select_for_update(of=("self",))
        .select_related("request_type__calendar", "customer")
        .get(pk=request.pk)
    )


def route(request_type: RequestType, service_point) -> tuple:
    """The team (a Django group) and assignee: the first matching area rule, else the type's."""
    for rule in request_type.routing_rules.select_related("team__group"):
        if rule.matches(service_point):
            team = rule.team or request_type.team
            return (team.group if team else None), (rule.assignee or request_type.default_assignee)
    team = request_type.team
    return (team.group if team else None), request_type.default_assignee


def _save_attachments(request, uploads, user, *, message=None, internal=False) -> list[Attachment]:
    saved = []
    for upload, checked in uploads:
        attachment = Attachment(
            request=request,
            message=message,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=user,
            internal=internal,
        )
        attachment.file.save(checked.name, upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def checked(uploads: list) -> list[tuple[object, CheckedUpload]]:
    uploads = [u for u in uploads if u]
    return list(zip(uploads, check_uploads(uploads), strict=True)) if uploads else []


def portal_url(request: Request) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return base + reverse("servicedesk:request", kwargs={"request_id": request.public_id})


def admin_url(request: Request) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return base + reverse("servicedesk_request", args=[request.pk])


@transaction.atomic
def file_request(
    *,
    membership: Membership,
    user,
    request_type: RequestType,
    data: dict,
    service_point=None,
    subject: str = "",
    uploads: list | None = None,
    order_lines: list[tuple] | None = None,
    http_request=None,
) -> Request:
    """A new request: routed, its deadlines set, the filer and the desk told.

    `uploads` are (UploadedFile, CheckedUpload) pairs; `order_lines` (CatalogueItem, quantity).
    """
    from .workflow import clock_for

    team, assignee = route(request_type, service_point)
    now = timezone.now()
    request = Request(
        customer=membership.customer,
        filed_by=user,
        request_type=request_type,
        service_point=service_point,
        subject=(subject or request_type.name)[:200],
        data=data,
        priority=request_type.priority,
        team=team,
        assignee=assignee,
        status=S.ASSIGNED if assignee else S.NEW,
    )
    clock = clock_for(request)
    request.first_response_due = clock.add(now, timedelta(hours=request_type.first_response_hours))
    request.resolution_due = clock.add(now, timedelta(hours=request_type.resolution_hours))
    if request_type.statutory_days:
        request.statutory_due = timezone.localdate(now) + timedelta(
            days=request_type.statutory_days
        )
    request.save()
    Event.objects.create(
        request=request, kind=Event.Kind.CREATED, actor=user, to_status=request.status
    )
    if assignee:
        Event.objects.create(
            request=request, kind=Event.Kind.ASSIGNED, actor=None, public=False, text=str(assignee)
        )
    for item, quantity in order_lines or []:
        OrderLine.objects.create(
            request=request,
            item=item,
            name=item.name,
            quantity=quantity,
            unit=item.unit,
            unit_price=item.unit_price,
            vat_rate=item.vat_rate,
        )
    attachments = _save_attachments(request, uploads or [], user)
    if attachments:
        request.data = {**request.data, "_attachments": [str(a.public_id) for a in attachments]}
        request.save(update_fields=["data"])
    audit.record(
        AuditEvent.Action.REQUEST_FILED,
        http_request,
        actor=user,
        customer=membership.customer,
        obj=request,
        type=request_type.slug,
    )
    notify(
        user,
        category=Category.REQUESTS,
        template="servicedesk/email/filed",
        context={"request": request, "url": portal_url(request)},
        key=f"request-filed:{request.pk}",
    )
    _tell_desk(request, "servicedesk/email/desk_new")
    emit(
        "request.created",
        {
            "request": request.public_id,
            "reference": request.reference,
            "customer": request.customer.number,
            "type": request_type.slug,
            "status": request.status,
            "at": now,
        },
    )
    return request


def _tell_desk(request: Request, template: str, **context) -> None:
    """The assignee, else everyone in the team."""
    if request.assignee_id:
        recipients = [request.assignee]
    elif request.team_id:
        recipients = list(request.team.user_set.filter(is_active=True))
    else:
        recipients = []
    for person in recipients:
        if person.email:
            send_email(
                person.email,
                template,
                {"request": request, "url": admin_url(request), **context},
                category=Category.REQUESTS,
            )


def _tell_customer(request: Request, template: str, **context) -> None:
    """The filer, by the channels they chose for requests; each call is a notice of its own."""
    if request.filed_by_id and request.filed_by.is_active:
        notify(
            request.filed_by,
            category=Category.REQUESTS,
            template=template,
            context={"request": request, "url": portal_url(request), **context},
            key=f"request:{request.pk}:{uuid.uuid4()}",
        )


@transaction.atomic
def reply(
    request: Request, *, author, body: str, by_staff: bool, internal: bool = False, uploads=None
) -> Message:
    """A line in the thread. A staff reply is the first response; a customer's answer while
    we wait for them starts the clock again."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if internal and not by_staff:
        raise ValidationError(_("Only staff write internal notes."))
    request = locked(request)
    if not request.is_open:
        raise ValidationError(
            _("The request is closed; file a new one if something is still wrong.")
        )
    message = Message.objects.create(
        request=request, author=author, from_staff=by_staff, internal=internal, body=body
    )
    _save_attachments(request, uploads or [], author, message=message, internal=internal)
    Event.objects.create(
        request=request,
        kind=Event.Kind.NOTE if internal else Event.Kind.REPLY,
        actor=author,
        public=not internal,
    )
    if internal:
        return message
    emit(
        "request.updated",
        {
            "request": request.public_id,
            "reference": request.reference,
            "customer": request.customer.number,
            "status": request.status,
            "change": "reply",
            "by": "staff" if by_staff else "customer",
            "at": message.created_at,
        },
    )
    if by_staff:
        if request.first_responded_at is None:
            request.first_responded_at = timezone.now()
            request.save(update_fields=["first_responded_at", "updated_at"])
        _tell_customer(request, "servicedesk/email/reply", message=message)
    else:
        if request.status == S.WAITING:
            workflow.move(request, S.IN_PROGRESS, actor=author, by_staff=False)
        _tell_desk(request, "servicedesk/email/desk_reply", message=message)
    return message


@transaction.atomic
def change_status(
    request: Request, to_status: str, *, actor, by_staff: bool, text: str = ""
) -> Request:
    """Move the request; a text given with the move is a public reply (or the reopen reason)."""
    request = locked(request)
    workflow.move(request, to_status, actor=actor, by_staff=by_staff, text=text)
    if text.strip() and to_status != S.REOPENED:
        Message.objects.create(
            request=request, author=actor, from_staff=by_staff, body=text.strip()
        )
    if by_staff:
        _tell_customer(request, "servicedesk/email/status", text=text.strip())
    else:
        _tell_desk(request, "servicedesk/email/desk_status", text=text.strip())
    emit(
        "request.updated",
        {
            "request": request.public_id,
            "reference": request.reference,
            "customer": request.customer.number,
            "status": request.status,
            "change": "status",
            "by": "staff" if by_staff else "customer",
            "at": timezone.now(),
        },
    )
    return request


@transaction.atomic
def assign(request: Request, *, assignee, actor) -> Request:
    """Give the request to someone; a new one becomes assigned."""
    request = locked(request)
    if not request.is_open:
        raise ValidationError(_("A closed request cannot be assigned."))
    request.assignee = assignee
    request.save(update_fields=["assignee", "updated_at"])
    Event.objects.create(
        request=request, kind=Event.Kind.ASSIGNED, actor=actor, public=False, text=str(assignee)
    )
    if request.status == S.NEW:
        workflow.move(request, S.ASSIGNED, actor=actor, by_staff=True)
    if assignee != actor and assignee.email:
        send_email(
            assignee.email,
            "servicedesk/email/desk_new",
            {"request": request, "url": admin_url(request)},
        )
    emit(
        "request.updated",
        {
            "request": request.public_id,
            "reference": request.reference,
            "customer": request.customer.number,
            "status": request.status,
            "change": "assignee",
            "by": "staff",
            "at": timezone.now(),
        },
    )
    return request


@transaction.atomic
def rate(request: Request, *, user, rating: int, comment: str = "") -> Request:
    request = locked(request)
    if request.status != S.CLOSED:
        raise ValidationError(_("A request can be rated once it is closed."))
    if request.rating is not None:
        raise ValidationError(_("You have rated this request already."))
    if rating not in range(1, 6):
        raise ValidationError({"rating": _("Choose from 1 to 5.")})
    request.rating = rating
    request.rating_comment = comment.strip()
    request.save(update_fields=["rating", "rating_comment", "updated_at"])
    Event.objects.create(request=request, kind=Event.Kind.RATED, actor=user, text=str(rating))
    return request


@transaction.atomic
def change_priority(request: Request, *, priority: str, actor) -> Request:
    """Set the priority and write it in the (staff-only) history."""
    request = locked(request)
    if request.priority == priority:
        return request
    before = request.get_priority_display()
    request.priority = priority
    request.save(update_fields=["priority", "updated_at"])
    Event.objects.create(
        request=request,
        kind=Event.Kind.PRIORITY,
        actor=actor,
        public=False,
        text=f"{before} → {request.get_priority_display()}",
    )
    return request
