"""Sending messages to people through the outbox.

Rooms hand over a rendered message (or a template and its context): `notify` writes one
Delivery row per channel the person accepts, in the caller's transaction, and a Celery
task sends it after the commit. A key names the notice, so it is written once whatever
retries, re-publishing or reruns of a reminder happen.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .events import emit
from .models import (
    ALWAYS_ON,
    AT_LEAST_ONE_CHANNEL,
    DEFAULT_CHANNELS,
    Category,
    Channel,
    Consent,
    Delivery,
    Preference,
)

SMS_QUIET_HOURS = (time(21, 0), time(8, 0))
"""No SMS at night: one written then waits for the morning."""


def render(template: str, context: dict, language: str = "pl") -> tuple[str, str]:
    """`<template>_subject.txt` and `<template>_body.txt` in the recipient's language."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    return subject, body


def channels_for(user, category: str) -> set[str]:
    """The channels a user receives this category by: their choices over the defaults."""
    if category in ALWAYS_ON:
        return set(DEFAULT_CHANNELS[category])
    consent = category == Category.MARKETING and has_consent(user)
    return _chosen(category, user.notification_preferences.filter(category=category), consent)


def channels_for_users(users: Sequence, category: str) -> dict[int, set[str]]:
    """`channels_for` of many users at once (by user pk): their preferences in one query,
    and for offers their consents in another."""
    ids = [user.pk for user in users]
    if category in ALWAYS_ON:
        return {pk: set(DEFAULT_CHANNELS[category]) for pk in ids}
    consents = _consents(ids) if category == Category.MARKETING else {}
    preferences = defaultdict(list)
    for preference in Preference.objects.filter(user_id__in=ids, category=category):
        preferences[preference.user_id].append(preference)
    return {pk: _chosen(category, preferences[pk], consents.get(pk, False)) for pk in ids}


def _consents(user_ids: list[int], purpose: str = Category.MARKETING) -> dict[int, bool]:
    """Whether the newest consent row of each user gives it (as `has_consent`)."""
    latest: dict[int, bool] = {}
    rows = Consent.objects.filter(user_id__in=user_ids, purpose=purpose).order_by(
        "user_id", "-created_at", "-pk"
    )
    for user_id, given in rows.values_list("user_id", "given"):
        latest.setdefault(user_id, given)
    return latest


def channel_choices(user) -> dict[str, set[str]]:
    """`channels_for` of every category at once (two queries), for a settings page."""
    preferences = list(user.notification_preferences.all())
    consent = has_consent(user)
    return {
        category: _chosen(category, [p for p in preferences if p.category == category], consent)
        for category in Category
    }


def _chosen(category: str, preferences: Iterable[Preference], consent: bool) -> set[str]:
    if category in ALWAYS_ON:
        return set(DEFAULT_CHANNELS[category])
    if category == Category.MARKETING and not consent:
        return set()
    chosen = set(DEFAULT_CHANNELS.get(category, set()))
    for preference in preferences:
        if preference.enabled:
            chosen.add(preference.channel)
        else:
            chosen.discard(preference.channel)
    if category in AT_LEAST_ONE_CHANNEL and not chosen:
        chosen = {Channel.EMAIL}
    return chosen


def has_consent(user, purpose: str = Category.MARKETING) -> bool:
    latest = Consent.objects.filter(user=user, purpose=purpose).first()
    return bool(latest and latest.given)


def set_preferences(user, choices: dict[tuple[str, str], bool]) -> None:
    """Store the choices (category, channel) → on/off; silencing what may not be is refused.

    The ValidationError names the category in `params["category"]`, so a form can show it
    on that row; nothing is stored then.
    """
    for category in sorted(AT_LEAST_ONE_CHANNEL):
        if not any(choices.get((category, channel), False) for channel in Channel.values):
            raise ValidationError(
                _("%(category)s: keep at least one channel; we must be able to reach you.")
                % {"category": Category(category).label},
                code="silenced",
                params={"category": category},
            )
    with transaction.atomic():
        for (category, channel), enabled in choices.items():
            if category in ALWAYS_ON:
                continue
            Preference.objects.update_or_create(
                user=user, category=category, channel=channel, defaults={"enabled": enabled}
            )


def current_consent(user, purpose: str = Category.MARKETING) -> Consent | None:
    """The newest consent row: what holds now (given or withdrawn), and since when."""
    return Consent.objects.filter(user=user, purpose=purpose).first()


def record_consent(
    user,
    *,
    given: bool,
    text: str,
    ip_address: str | None = None,
    purpose: str = Category.MARKETING,
) -> Consent:
    """Give or withdraw a consent: a new row with the text the person saw; the history stays."""
    consent = Consent.objects.create(
        user=user, purpose=purpose, given=given, text=text, ip_address=ip_address
    )
    emit(
        "consent.changed",
        {
            "purpose": purpose,
            "given": given,
            "customers": [
                str(m.customer.public_id) for m in user.memberships.select_related("customer")
            ],
            "at": consent.created_at,
        },
    )
    return consent


def save_notification_settings(
    user,
    *,
    choices: dict[tuple[str, str], bool],
    mobile_phone: str,
    marketing_consent: bool,
    consent_text: str,
    ip_address: str | None = None,
) -> Consent | None:
    """What a person chose on their notifications page, stored together or not at all.

    The channel choices, the mobile phone for text messages, and the marketing consent:
    a Consent row is written only when the consent changes (given or withdrawn), and
    withdrawing it switches every marketing channel off. Returns the new Consent, if any.
    """
    if not marketing_consent:
        choices = {
            key: enabled and key[0] != Category.MARKETING for key, enabled in choices.items()
        }
    with transaction.atomic():
        set_preferences(user, choices)
        if mobile_phone != user.mobile_phone:
            user.mobile_phone = mobile_phone
            user.save(update_fields=["mobile_phone"])
        if marketing_consent == has_consent(user):
            return None
        return record_consent(
            user, given=marketing_consent, text=consent_text, ip_address=ip_address
        )


def absolute_url(path: str) -> str:
    """A link for a message that leaves the site (e-mail, SMS)."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _address(user, channel: str) -> str:
    if channel == Channel.EMAIL:
        return user.email or ""
    return getattr(user, "mobile_phone", "") or ""


def earliest_send(channel: str, now: datetime) -> datetime:
    """When a message may leave: `now`, or for an SMS in the quiet hours the next morning
    at 8:00 (local time)."""
    if channel != Channel.SMS:
        return now
    local = timezone.localtime(now)
    start, end = SMS_QUIET_HOURS
    if local.time() >= start:
        morning = local.date() + timedelta(days=1)
    elif local.time() < end:
        morning = local.date()
    else:
        return now
    return timezone.make_aware(datetime.combine(morning, end), timezone.get_current_timezone())


def queue(
    *, key: str, channel: str, category: str, to: str, subject: str, body: str, user=None
) -> Delivery | None:
    """Write one outbox row unless its key is there already; send it after the commit."""
    now = timezone.now()
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                key=key,
                channel=channel,
                category=category,
                user=user,
                to=to,
                subject=subject[:300],
                body=body,
                not_before=earliest_send(channel, now),
            )
    except IntegrityError:
        return None  # this notice exists already: nothing more to send
    from .tasks import deliver

    deliver.delay(delivery.pk)
    return delivery


def notify(
    user,
    *,
    category: str,
    template: str,
    context: dict,
    key: str,
    channels: set[str] | None = None,
) -> list[Delivery]:
    """Tell a user something by each channel they accept for the category (limited to
    `channels` when given). `key` names the notice; the channel is appended to it."""
    wanted = channels_for(user, category)
    if channels is not None:
        wanted &= set(channels)
    deliveries = []
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    for channel in sorted(wanted):
        to = _address(user, channel)
        if not to:
            continue
        if channel == Channel.SMS:
            subject, body = "", _sms_text(template, context, language)
        else:
            subject, body = render(template, context, language)
        delivery = queue(
            key=f"{key}:{channel}",
            channel=channel,
            category=category,
            to=to,
            subject=subject,
            body=body,
            user=user,
        )
        if delivery:
            deliveries.append(delivery)
    return deliveries


def notify_many(
    users: Sequence,
    *,
    category: str,
    template: str,
    context: dict,
    key: str,
    channels: set[str] | None = None,
) -> list[int]:
    """`notify` for many users and one notice whose context is the same for everyone.

    Each user gets `f"{key}:{user.pk}:{channel}"`, the key `notify` would write with the
    user's pk appended to `key`, by each channel they accept; preferences and consents
    are read for all at once, and each text is rendered once per language and channel
    (a notice that names its reader goes through `notify`). Returns the ids of the rows
    written now; those told already are left out.
    """
    chosen = channels_for_users(users, category)
    texts: dict[tuple[str, str], tuple[str, str]] = {}
    deliveries = []
    now = timezone.now()
    for user in users:
        wanted = chosen[user.pk] if channels is None else chosen[user.pk] & set(channels)
        language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        for channel in sorted(wanted):
            to = _address(user, channel)
            if not to:
                continue
            if (language, channel) not in texts:
                texts[language, channel] = (
                    ("", _sms_text(template, context, language))
                    if channel == Channel.SMS
                    else render(template, context, language)
                )
            subject, body = texts[language, channel]
            deliveries.append(
                Delivery(
                    key=f"{key}:{user.pk}:{channel}",
                    channel=channel,
                    category=category,
                    user=user,
                    to=to,
                    subject=subject[:300],
                    body=body,
                    not_before=earliest_send(channel, now),
                )
            )
    return queue_many(deliveries)


def queue_many(deliveries: Sequence[Delivery]) -> list[int]:
    """Write the outbox rows whose key is not there yet, in one transaction, and send them
    after the commit in batches (`deliver_batch`); returns the ids of the rows written.

    A row another transaction writes at the same moment is skipped by the insert and may be
    handed out by both: `deliver_batch` sends a row once however often it gets its id.
    """
    from .tasks import DELIVER_BATCH, deliver_batch

    keys = [delivery.key for delivery in deliveries]
    with transaction.atomic():
        told = set(Delivery.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = [delivery for delivery in deliveries if delivery.key not in told]
        if not fresh:
            return []
        Delivery.objects.bulk_create(fresh, ignore_conflicts=True)
        ids = list(
            Delivery.objects.filter(
                key__in=[delivery.key for delivery in fresh], status=Delivery.Status.PENDING
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), DELIVER_BATCH):
            deliver_batch.delay(ids[start : start + DELIVER_BATCH])
    return ids


def _sms_text(template: str, context: dict, language: str) -> str:
    """`<template>_sms.txt`, or the e-mail's subject where an event has no SMS text."""
    try:
        with translation.override(language):
            text = render_to_string(f"{template}_sms.txt", context)
    except TemplateDoesNotExist:
        text = render(template, context, language)[0]
    return " ".join(text.split())


def send_email(
    to: str,
    template: str,
    context: dict,
    language: str = "pl",
    *,
    key: str | None = None,
    category: str = Category.ACCOUNT,
) -> Delivery | None:
    """An e-mail to an address (perhaps of nobody with an account yet), through the outbox.

    Without a key every call is a new notice; give one when the same cause may run twice.
    """
    subject, body = render(template, context, language)
    return queue(
        key=key or f"email:{uuid.uuid4()}",
        channel=Channel.EMAIL,
        category=category,
        to=to,
        subject=subject,
        body=body,
    )


def retry(deliveries: Iterable[Delivery]) -> int:
    """Send failed deliveries again: back to waiting, due now; their attempts are kept, so
    the record shows how often they failed. Returns how many were put back."""
    from .tasks import deliver

    now = timezone.now()
    ids = []
    with transaction.atomic():
        for delivery in deliveries:
            updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
                status=Delivery.Status.PENDING, not_before=earliest_send(delivery.channel, now)
            )
            if updated:
                ids.append(delivery.pk)
        for delivery_id in ids:
            deliver.delay(delivery_id)
    return len(ids)
