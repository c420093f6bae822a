import pytest
from django.contrib.auth.models import AnonymousUser

from customers.models import ROLE_MATRIX, Ability, Customer, Membership, Role, ServicePoint
from customers.services import sync_segment_groups
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    SegmentFactory,
    ServicePointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_customers_visible_to_a_user_are_only_their_active_ones(two_customers):
    assert list(Customer.objects.visible_to(two_customers.a.owner)) == [two_customers.a.customer]
    two_customers.a.owner_membership.status = Membership.Status.REVOKED
    two_customers.a.owner_membership.save()
    assert not Customer.objects.visible_to(two_customers.a.owner).exists()
    assert not Customer.objects.visible_to(AnonymousUser()).exists()


def test_a_membership_limited_to_one_service_point_sees_only_that_one(two_customers):
    a = two_customers.a
    technician = MembershipFactory(customer=a.customer, role=Role.TECHNICAL)
    technician.service_points.set([a.service_points[1]])
    assert list(ServicePoint.objects.visible_to(technician.user)) == [a.service_points[1]]
    assert list(ServicePoint.objects.for_membership(technician)) == [a.service_points[1]]
    assert set(ServicePoint.objects.visible_to(a.owner)) == set(a.service_points)


def test_property_manager_sees_the_points_of_every_customer_they_manage():
    manager = UserFactory()
    points = []
    for _ in range(3):
        membership = MembershipFactory(user=manager, role=Role.OWNER)
        points.append(ServicePointFactory(customer=membership.customer))
    ServicePointFactory()  # somebody else's
    assert set(ServicePoint.objects.visible_to(manager)) == set(points)


def test_role_matrix_decides_abilities():
    assert ROLE_MATRIX[Role.OWNER] == frozenset(Ability.values)
    billing = Membership(role=Role.BILLING, status=Membership.Status.ACTIVE)
    assert billing.can(Ability.PAY)
    assert not billing.can(Ability.SUBMIT_READINGS)
    assert not billing.can(Ability.MANAGE_USERS)
    technical = Membership(role=Role.TECHNICAL, status=Membership.Status.ACTIVE)
    assert technical.can(Ability.SUBMIT_READINGS)
    assert not technical.can(Ability.VIEW_BILLING)
    pending = Membership(role=Role.OWNER, status=Membership.Status.PENDING)
    assert not pending.can(Ability.VIEW_ACCOUNT)


def test_segment_groups_follow_memberships_and_customer_segments():
    households, vip = SegmentFactory(code="households"), SegmentFactory(code="vip")
    customer = CustomerFactory()
    customer.segments.set([households])
    membership = MembershipFactory(customer=customer)
    user = membership.user
    assert set(user.groups.all()) == {households.group}

    customer.segments.add(vip)
    assert set(user.groups.all()) == {households.group, vip.group}

    vip.customers.clear()
    assert set(user.groups.all()) == {households.group}

    membership.status = Membership.Status.REVOKED
    membership.save()
    assert not user.groups.exists()


def test_segment_sync_leaves_staff_groups_alone():
    from django.contrib.auth.models import Group

    editors = Group.objects.create(name="Redakcja")
    membership = MembershipFactory()
    membership.user.groups.add(editors)
    sync_segment_groups(membership.user)
    assert list(membership.user.groups.all()) == [editors]
