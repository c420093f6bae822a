"""Who may do what with the outbox's records in the admin."""

from wagtail.permission_policies import ModelPermissionPolicy


class ViewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Records the outbox writes (deliveries, consents): staff look, nobody adds, edits or
    deletes them in the admin. Retrying failed deliveries is a separate view, allowed by the
    model's "change" permission (see admin_views.RETRY_PERMISSION)."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a == "view"])
