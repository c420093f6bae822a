"""The inbox: who a message is for, sending it once, receipts, and its text made safe to show.

Staff write a message once; sending stamps `published_at` and a Celery task tells each user
of the audience (an active member of an addressed customer, once however many of their
customers are addressed) through the outbox, in batches. The key of each notice
(`inbox:<message>:<user>`) makes a second send, a rerun or a retried batch write nothing new.
"""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Subquery, When
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.templatetags.wagtailcore_tags import richtext
from wagtail.whitelist import Whitelister, allow_without_attributes, attribute_rule, check_url

from notifications.models import Category, Delivery
from notifications.services import notify

from .impersonation import SESSION_KEY as VIEW_AS_SESSION_KEY
from .models import Customer, InboxMessage, Membership, MessageReceipt, User

FAN_OUT_BATCH = 200
"""Users told per task run; the next batch is a task of its own."""

REPLY_HOOK = "customer_message_reply"
"""Rooms answer `(request, membership, message, text)` with the object a reply opened (with
`get_absolute_url`) or its URL, or raise ValidationError saying why they cannot take it."""

NOTIFICATION_TEMPLATE = "customers/inbox/notifications/message"


# Who a message is for


def audience_customers(message: InboxMessage) -> QuerySet[Customer]:
    """The customers a message is addressed to: all, those in its segments, or those chosen."""
    if message.audience == InboxMessage.Audience.EVERYONE:
        return Customer.objects.all()
    if message.audience == InboxMessage.Audience.SEGMENTS:
        return Customer.objects.filter(segments__in=message.segments.all())
    return message.customers.all()


def audience_users(message: InboxMessage) -> QuerySet[User]:
    """Active users with an active membership of an addressed customer, each once."""
    members = Membership.objects.active().filter(
        user=OuterRef("pk"), customer__in=audience_customers(message)
    )
    return User.objects.filter(is_active=True).filter(Exists(members))


def messages_for_customer(customer) -> QuerySet[InboxMessage]:
    """Published messages addressed to a customer given as an id or an id expression.

    The same rule as `InboxMessage.objects.for_customer`, with no DISTINCT, so that the
    header badge counts in one query with a subquery for the customer.
    """
    return InboxMessage.objects.for_customer(customer)


# Receipts


def with_receipt(messages: QuerySet[InboxMessage], user) -> QuerySet[InboxMessage]:
    """Each message with the user's `delivered_at` and `read_at` (None when not yet)."""
    receipt = MessageReceipt.objects.filter(message=OuterRef("pk"), user=user)
    return messages.annotate(
        delivered_at=Subquery(receipt.values("delivered_at")[:1]),
        read_at=Subquery(receipt.values("read_at")[:1]),
    )


def mark_delivered(messages: list[InboxMessage], user) -> None:
    """Note that the user was shown these messages, for those never shown before: one INSERT.

    The messages come from `with_receipt`; a receipt written meanwhile by another request is
    left as it is.
    """
    now = timezone.now()
    new = [
        MessageReceipt(message=message, user=user, delivered_at=now)
        for message in messages
        if message.delivered_at is None
    ]
    if new:
        MessageReceipt.objects.bulk_create(new, ignore_conflicts=True)
    for message in messages:
        message.delivered_at = message.delivered_at or now


def mark_read(message: InboxMessage, user) -> None:
    """Note that the user opened the message (and so was shown it), the first time only."""
    now = timezone.now()
    MessageReceipt.objects.bulk_create(
        [MessageReceipt(message=message, user=user, delivered_at=now, read_at=now)],
        ignore_conflicts=True,
    )
    MessageReceipt.objects.filter(message=message, user=user, read_at__isnull=True).update(
        read_at=now
    )
    forget_unread_counts(user)


def unread(messages: QuerySet[InboxMessage], user) -> QuerySet[InboxMessage]:
    read = MessageReceipt.objects.filter(message=OuterRef("pk"), user=user, read_at__isnull=False)
    return messages.filter(~Exists(read))


def unread_count(request) -> int:
    """Unread messages of the active customer, for the header: at most one query.

    On customer-area pages the gate has found the membership already; elsewhere the active
    customer is chosen inside the query as the gate would (the remembered one, else the
    first by name). Staff viewing the portal as a customer see no badge.
    """
    if hasattr(request, "_unread_messages"):
        return request._unread_messages
    request._unread_messages = 0
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if VIEW_AS_SESSION_KEY in getattr(request, "session", {}):
        return 0
    if hasattr(request, "_active_membership"):
        membership = request._active_membership
        if membership is None or getattr(membership, "impersonated", False):
            return 0
        customer = membership.customer_id
    else:
        customer = Subquery(
            Membership.objects.active()
            .filter(user=user)
            .order_by(
                Case(
                    When(customer_id=user.active_customer_id, then=0),
                    default=1,
                    output_field=IntegerField(),
                ),
                "customer__name",
                "customer__number",
            )
            .values("customer_id")[:1]
        )
    if hasattr(request, "_active_membership"):
        request._unread_messages = cached_unread_count(user, customer)
    else:
        request._unread_messages = unread(messages_for_customer(customer), user).count()
    return request._unread_messages


UNREAD_TIMEOUT = 300
"""Seconds a cached badge count may lag behind a change of the customer's audience (a new
segment or address); a new message or a message read changes it at once."""


def _unread_key(user_id: int, customer_id: int) -> str:
    generations = cache.get_many(["inbox:generation", f"inbox:user:{user_id}"])
    return (
        f"inbox:unread:{user_id}:{customer_id}:{generations.get('inbox:generation', 0)}:"
        f"{generations.get(f'inbox:user:{user_id}', 0)}"
    )


def cached_unread_count(user, customer_id: int) -> int:
    """The badge's count from the cache: every page shows it, it rarely changes."""
    key = _unread_key(user.pk, customer_id)
    count = cache.get(key)
    if count is None:
        count = unread(messages_for_customer(customer_id), user).count()
        cache.set(key, count, UNREAD_TIMEOUT)
    return count


def forget_unread_counts(user=None) -> None:
    """A message was published, changed or removed (everyone's counts), or read (the user's)."""
    key = f"inbox:user:{user.pk}" if user is not None else "inbox:generation"
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def receipt_counts(message: InboxMessage) -> dict[str, int]:
    """For staff: users addressed now, users told, users shown it, users who opened it."""
    receipts = MessageReceipt.objects.filter(message=message)
    return {
        "recipients": audience_users(message).count(),
        "notified": Delivery.objects.filter(key__startswith=f"inbox:{message.pk}:")
        .values("user")
        .distinct()
        .count(),
        "delivered": receipts.count(),
        "read": receipts.filter(read_at__isnull=False).count(),
    }


def not_read_by(message: InboxMessage) -> QuerySet[User]:
    """Users of the audience who have not opened the message, with when it was shown them."""
    receipt = MessageReceipt.objects.filter(message=message, user=OuterRef("pk"))
    return (
        audience_users(message)
        .filter(~Exists(receipt.filter(read_at__isnull=False)))
        .annotate(delivered_at=Subquery(receipt.values("delivered_at")[:1]))
        .order_by("email")
    )


# Sending


def send_message(message: InboxMessage) -> bool:
    """Send a draft: stamp it sent and tell its audience (after the commit, in batches).

    False when it was sent already; nobody is told twice.
    """
    with transaction.atomic():
        locked = InboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.published_at is not None:
            message.published_at = locked.published_at
            return False
        locked.published_at = message.published_at = timezone.now()
        locked.save(update_fields=["published_at"])
        fan_out_message.delay(message.pk)
    return True


@shared_task
def fan_out_message(message_id: int, after_user_id: int = 0) -> int:
    """Tell one batch of the audience (users after `after_user_id`), then queue the next.

    Idempotent: each notice has its key, so a batch run twice writes nothing new.
    """
    message = InboxMessage.objects.filter(pk=message_id, published_at__isnull=False).first()
    if message is None:
        return 0
    users = list(
        audience_users(message).filter(pk__gt=after_user_id).order_by("pk")[:FAN_OUT_BATCH]
    )
    context = {
        "message": message,
        "url": _portal_url("customer:message", message_id=message.public_id),
        "inbox_url": _portal_url("customer:messages"),
    }
    with transaction.atomic():
        for user in users:
            notify(
                user,
                category=Category.MESSAGES,
                template=NOTIFICATION_TEMPLATE,
                context={**context, "user": user},
                key=f"inbox:{message.pk}:{user.pk}",
            )
    if len(users) == FAN_OUT_BATCH:
        fan_out_message.delay(message.pk, users[-1].pk)
    return len(users)


def _portal_url(name: str, **kwargs) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(name, kwargs=kwargs)


# Replies


def reply(request, membership: Membership, message: InboxMessage, text: str) -> str:
    """Hand the customer's answer to the room that takes it; the URL of what it opened.

    Raises ValidationError when no room takes replies or the room refuses this one.
    """
    for take_reply in hooks.get_hooks(REPLY_HOOK):
        result = take_reply(request, membership, message, text)
        if result is not None:
            return result if isinstance(result, str) else result.get_absolute_url()
    raise ValidationError(_("Replies cannot be sent here at the moment. Please contact us."))


# Showing the text


class MessageHTML(Whitelister):
    """What a message body may contain when shown: the editor's features and nothing else."""

    element_rules = {
        "[document]": allow_without_attributes,
        "a": attribute_rule({"href": check_url}),
        "b": allow_without_attributes,
        "br": allow_without_attributes,
        "em": allow_without_attributes,
        "h3": allow_without_attributes,
        "i": allow_without_attributes,
        "li": allow_without_attributes,
        "ol": allow_without_attributes,
        "p": allow_without_attributes,
        "strong": allow_without_attributes,
        "ul": allow_without_attributes,
    }
    dropped_with_content = {"script", "style", "iframe", "object", "embed", "template", "svg"}

    def clean_tag_node(self, doc, tag):
        if tag.name in self.dropped_with_content:
            tag.decompose()
            return
        super().clean_tag_node(doc, tag)


def body_html(body: str) -> SafeString:
    """The body as Wagtail renders rich text (links to pages and documents resolved), then
    reduced to the allow-list: a body written past the editor (the ORM, an import) cannot
    bring a script or an event handler to the customer's page."""
    return mark_safe(MessageHTML().clean(str(richtext(body))))  # noqa: S308 - cleaned above
