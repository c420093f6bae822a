"""The one gate between a signed-in user and a customer's data.

Every customer page and API view resolves the active membership here and checks
the role's abilities (ROLE_MATRIX); objects are then fetched only through the
queryset verbs (`visible_to`, `for_membership`), so another customer's object is
simply not found.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse

from . import site_cache
from .models import Ability, Membership, Segment, ServicePoint


def memberships_of(user) -> list[Membership]:
    """The user's active memberships in a stable order, in one query: customers and their
    account managers loaded, and on each `limited_to_points` (only some service points) and
    `requires_two_factor` (a segment of the customer asks for a second factor)."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("customer", "customer__account_manager")
        .annotate(
            limited_to_points=Exists(
                Membership.service_points.through.objects.filter(membership_id=OuterRef("pk"))
            ),
            requires_two_factor=Exists(
                Segment.objects.filter(customers=OuterRef("customer_id"), requires_two_factor=True)
            ),
        )
        .order_by("customer__name", "customer__number")
    )


def request_memberships(request) -> list[Membership]:
    """`memberships_of` the request's user, looked up once per request (the two-factor
    middleware and the gate both ask)."""
    if not hasattr(request, "_user_memberships"):
        request._user_memberships = memberships_of(request.user)
    return request._user_memberships


def request_service_points(request, membership: Membership) -> list[ServicePoint]:
    """The service points `membership` reaches, in their usual order, looked up once per
    request: several dashboard widgets show or use them."""
    cached = getattr(request, "_membership_service_points", None)
    if cached is None or cached[0] != membership.pk:
        points = list(ServicePoint.objects.for_membership(membership))
        cached = request._membership_service_points = (membership.pk, points)
    return cached[1]


def active_membership(request) -> Membership | None:
    """The membership the user acts through now: the remembered customer, else the first."""
    if hasattr(request, "_active_membership"):
        return request._active_membership
    from .impersonation import read_only_membership, viewed_customer

    viewed = viewed_customer(request)
    if viewed is not None:
        request.customer_memberships = []
        request._active_membership = read_only_membership(request, viewed)
        return request._active_membership
    memberships = request_memberships(request)
    chosen = next(
        (m for m in memberships if m.customer_id == request.user.active_customer_id), None
    ) or (memberships[0] if memberships else None)
    request.customer_memberships = memberships
    request._active_membership = chosen
    return chosen


def switch_customer(request, customer_public_id) -> Membership | None:
    """Make another of the user's customers the active one; None if it is not theirs."""
    membership = next(
        (m for m in request_memberships(request) if m.customer.public_id == customer_public_id),
        None,
    )
    if membership is not None:
        request.user.active_customer = membership.customer
        request.user.save(update_fields=["active_customer"])
        request._active_membership = membership
    return membership


class CustomerAreaMixin(LoginRequiredMixin):
    """For views of the customer area: needs a membership whose role has `required_ability`."""

    required_ability: str = Ability.VIEW_ACCOUNT

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = active_membership(request)
        site_cache.prime(request)
        if membership is None:
            return TemplateResponse(request, "customers/no_customer.html", status=403)
        if not membership.can(self.required_ability):
            raise PermissionDenied
        self.membership = membership
        self.customer = membership.customer
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            membership=self.membership,
            customer=self.customer,
            customer_memberships=self.request.customer_memberships,
        )
        return context
