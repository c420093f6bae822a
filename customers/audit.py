"""Writing the audit log: one call, the request gives the place and the device."""

from .models import AuditEvent


def client_ip(request) -> str | None:
    """The client's address as the web server saw it (a proxy's X-Forwarded-For is not trusted
    here; the proxy in front must set REMOTE_ADDR, e.g. gunicorn's --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def record(action: str, request=None, *, actor=None, customer=None, obj=None, **detail):
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        subject_email=detail.pop("subject_email", "") or (actor.email if actor else ""),
        customer=customer,
        object_repr=str(obj)[:200] if obj is not None else "",
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""),
        detail=detail,
    )
