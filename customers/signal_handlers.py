import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from . import audit, stepup
from .lockout import username_from_attempt
from .middleware import SESSION_LOGIN_TIME
from .models import (
    AuditEvent,
    Customer,
    DashboardLayout,
    DashboardLayoutItem,
    InboxMessage,
    Membership,
    Segment,
    UserSession,
)
from .services import sync_segment_groups, sync_segment_groups_of_customer_members


def membership_changed(sender, instance: Membership, **kwargs) -> None:
    sync_segment_groups(instance.user)


def customer_segments_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """Members follow their customers' segments, whichever side of the relation changed."""
    if action == "pre_clear":
        instance._customers_before_clear = (
            set(instance.customers.values_list("pk", flat=True)) if reverse else {instance.pk}
        )
        return
    if action == "post_clear":
        customer_ids = instance.__dict__.pop("_customers_before_clear", set())
    elif action in {"post_add", "post_remove"}:
        customer_ids = pk_set if reverse else {instance.pk}
    else:
        return
    for customer_id in customer_ids:
        sync_segment_groups_of_customer_members(customer_id)


def logged_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_LOGIN_TIME] = time.time()
    stepup.mark(request)
    if not request.session.session_key:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": audit.client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )
    audit.record(AuditEvent.Action.LOGIN, request, actor=user)


def login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit.record(
        AuditEvent.Action.LOGIN_FAILED,
        request,
        actor=None,
        subject_email=username_from_attempt(request, credentials) or "",
    )


def logged_out(sender, request, user, **kwargs) -> None:
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    if user is not None:
        audit.record(AuditEvent.Action.LOGOUT, request, actor=user)


def locked_out(sender, request, username, ip_address, **kwargs) -> None:
    audit.record(AuditEvent.Action.LOCKED_OUT, request, actor=None, subject_email=username or "")


def second_factor_added(sender, instance, created: bool, **kwargs) -> None:
    if created and instance.confirmed and not kwargs.get("raw"):
        _second_factor_changed(instance, "second factor added")


def second_factor_removed(sender, instance, **kwargs) -> None:
    _second_factor_changed(instance, "second factor removed")


def _second_factor_changed(device, change: str) -> None:
    """Tell the user at once: a changed second factor is how account takeovers finish."""
    from django.utils.translation import gettext

    from notifications.services import send_email

    user = device.user
    audit.record(AuditEvent.Action.DATA_CHANGED, actor=user, change=change)
    send_email(
        user.email,
        "customers/email/security_change",
        {"user": user, "what": gettext("second factor"), "when": timezone.localtime()},
    )


def audience_changed(**kwargs) -> None:
    """A message published, changed or removed, or a customer's segments changed: the
    cached unread counts are stale — now, and again after the commit, when a message's
    lists of customers and segments have been saved too."""
    from .inbox_services import forget_unread_counts

    forget_unread_counts()
    transaction.on_commit(forget_unread_counts)


def register_signal_handlers() -> None:
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .area import forget_segment_caches

    post_save.connect(second_factor_added, sender=TOTPDevice, dispatch_uid="totp_added")
    post_delete.connect(second_factor_removed, sender=TOTPDevice, dispatch_uid="totp_removed")
    user_logged_in.connect(logged_in, dispatch_uid="okienko_logged_in")
    user_login_failed.connect(login_failed, dispatch_uid="okienko_login_failed")
    user_logged_out.connect(logged_out, dispatch_uid="okienko_logged_out")
    user_locked_out.connect(locked_out, dispatch_uid="okienko_locked_out")
    post_save.connect(membership_changed, sender=Membership, dispatch_uid="membership_saved")
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid="membership_deleted")
    post_save.connect(audience_changed, sender=InboxMessage, dispatch_uid="inbox_message_saved")
    post_delete.connect(audience_changed, sender=InboxMessage, dispatch_uid="inbox_message_gone")
    m2m_changed.connect(
        audience_changed, sender=Customer.segments.through, dispatch_uid="inbox_segments_changed"
    )
    for name, signal in (("save", post_save), ("delete", post_delete)):
        for model in (DashboardLayout, DashboardLayoutItem, Segment, Group):
            signal.connect(
                forget_segment_caches, sender=model, dispatch_uid=f"layouts-{model.__name__}-{name}"
            )
    m2m_changed.connect(
        forget_segment_caches, sender=Customer.segments.through, dispatch_uid="layouts-segments"
    )
    m2m_changed.connect(
        customer_segments_changed,
        sender=Customer.segments.through,
        dispatch_uid="customer_segments_changed",
    )
