from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Customer, Membership
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


def register_signal_handlers() -> None:
    post_save.connect(membership_changed, sender=Membership, dispatch_uid="membership_saved")
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid="membership_deleted")
    m2m_changed.connect(
        customer_segments_changed,
        sender=Customer.segments.through,
        dispatch_uid="customer_segments_changed",
    )
