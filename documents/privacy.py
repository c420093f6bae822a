"""Who may see restricted content, as lists need to know it before anyone clicks.

Wagtail checks a page's or a collection's view restrictions when it serves one item
(`accept_request`). A listing (a library, the versions of a price list) must leave
out what its reader could not open, so the same rule is applied here to querysets,
with a constant number of queries however long the list.
"""

from django.db.models import Q, QuerySet
from wagtail.documents import get_document_model
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    CollectionViewRestriction,
    PageViewRestriction,
)
from wagtail.query import PageQuerySet


def _group_ids(user) -> set[int]:
    if user is None or not user.is_authenticated:
        return set()
    return set(user.groups.values_list("pk", flat=True))


def admits(restriction: BaseViewRestriction, user, group_ids: set[int]) -> bool:
    """Wagtail's `accept_request` for a user rather than a request.

    A shared password lives in one browser's session, which a list does not know; such
    restrictions are off in our settings, and a list treats them as closed.
    """
    kind = restriction.restriction_type
    if kind == BaseViewRestriction.LOGIN:
        return bool(user and user.is_authenticated)
    if kind == BaseViewRestriction.GROUPS:
        if user is not None and user.is_superuser:
            return True
        return any(group.pk in group_ids for group in restriction.groups.all())
    return kind == BaseViewRestriction.NONE


def refused_collection_paths(user) -> list[str]:
    """Tree paths of the collections (with their subcollections) closed to the user."""
    group_ids = _group_ids(user)
    restrictions = CollectionViewRestriction.objects.select_related("collection").prefetch_related(
        "groups"
    )
    return [
        restriction.collection.path
        for restriction in restrictions
        if not admits(restriction, user, group_ids)
    ]


def documents_visible_to(user, collection: Collection | None = None) -> QuerySet:
    """Documents the user may open, of ``collection`` and its subcollections if given."""
    documents = get_document_model().objects.all()
    if collection is not None:
        documents = documents.filter(collection__path__startswith=collection.path)
    for path in refused_collection_paths(user):
        documents = documents.exclude(collection__path__startswith=path)
    return documents


def viewable_pages(pages: PageQuerySet, user) -> PageQuerySet:
    """``pages`` without those in a private section the user is not admitted to.

    Any page queryset will do, such as the site search's ``Page.objects.live()``.
    """
    group_ids = _group_ids(user)
    refused = Q()
    restrictions = PageViewRestriction.objects.select_related("page").prefetch_related("groups")
    for restriction in restrictions:
        if not admits(restriction, user, group_ids):
            refused |= pages.descendant_of_q(restriction.page, inclusive=True)
    return pages.exclude(refused) if refused else pages


class ViewablePageQuerySet(PageQuerySet):
    def viewable_by(self, user) -> "ViewablePageQuerySet":
        """Pages the user may open: outside every private section they are not admitted to."""
        return viewable_pages(self, user)
