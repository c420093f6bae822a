"""Who may do what in the admin: the outbox's records, and every room's snippet choosers
(this floor is the lowest, so each room may use them)."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.chooser import SnippetChooserViewSet

LISTING_ACTIONS = ["add", "change", "delete", "view"]
"""Any of these lets a user see a snippet model's listing, and so choose from it."""


class ViewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Records the outbox writes (deliveries, consents): staff look, nobody adds, edits or
    deletes them in the admin. Retrying failed deliveries is a separate view, allowed by the
    model's "change" permission (see admin_views.RETRY_PERMISSION)."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a == "view"])


class PermissionCheckedSnippetChooserViewSet(SnippetChooserViewSet):
    """A snippet chooser only those who may see the model's listing can open.

    Wagtail's own lists, searches and names every row of the model to any admin user,
    whatever their permissions (the chooser views check none): for customers' invoices,
    meters or deliveries that would show any staff member every customer's data.
    """

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            pattern.callback = self._for_those_who_may_list(pattern.callback)
        return patterns

    def _for_those_who_may_list(self, view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            policy = self.model.snippet_viewset.permission_policy
            if not policy.user_has_any_permission(request.user, LISTING_ACTIONS):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return checked
