"""Writes about customers and access that touch several models."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Membership, Segment, User, UserSession


@transaction.atomic
def sync_segment_groups(user: User) -> None:
    """Give the user exactly the segment groups of the customers they are an active member of.

    Groups that are not segments (staff groups) are left alone.
    """
    wanted = set(
        Segment.objects.filter(
            customers__memberships__user=user,
            customers__memberships__status=Membership.Status.ACTIVE,
        ).values_list("group_id", flat=True)
    )
    current = set(user.groups.filter(segment__isnull=False).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*Group.objects.filter(pk__in=current - wanted))
    if wanted - current:
        user.groups.add(*Group.objects.filter(pk__in=wanted - current))


def sync_segment_groups_of_customer_members(customer_id: int) -> None:
    for user in User.objects.filter(memberships__customer_id=customer_id).distinct():
        sync_segment_groups(user)


def end_other_sessions(user: User, keep: str | None) -> int:
    """Delete every session of the user except `keep`; returns how many ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    others = UserSession.objects.filter(user=user).exclude(session_key=keep)
    keys = list(others.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    others.delete()
    return len(keys)
