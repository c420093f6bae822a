"""Outage announcements pass a moderator before they go out.

An outage notice reaches thousands by SMS and e-mail and cannot be called back, so the
announcement board carries the Wagtail workflow "Outage approval" (a group approval by
"Moderators"). Wagtail lets anyone with publish permission publish past a workflow;
for outages `wagtail_hooks.py` refuses that to everyone but moderators, who publish by
approving.
"""

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask

MODERATORS = "Moderators"
"""Wagtail's own moderators group (made by its migrations): they approve outages."""

OUTAGE_APPROVAL = "Outage approval"


@transaction.atomic
def ensure_outage_workflow(board: Page) -> Workflow:
    """The "Outage approval" workflow, made if missing, assigned to the board unless the
    board has a workflow of its own already (an editor's choice is kept)."""
    moderators, _created = Group.objects.get_or_create(name=MODERATORS)
    workflow = Workflow.objects.filter(name=OUTAGE_APPROVAL).first()
    if workflow is None:
        task = GroupApprovalTask.objects.filter(name=OUTAGE_APPROVAL).first()
        if task is None:
            task = GroupApprovalTask.objects.create(name=OUTAGE_APPROVAL)
            task.groups.set([moderators])
        workflow = Workflow.objects.create(name=OUTAGE_APPROVAL)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.get_or_create(page=board, defaults={"workflow": workflow})
    return workflow


def is_moderator(user) -> bool:
    """May approve, and so publish, an outage announcement."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=MODERATORS).exists()


def needs_moderation(page, user) -> bool:
    """Publishing this page (as it is now, perhaps an unsaved draft) by this user is
    refused: it is an outage announcement and the user is no moderator."""
    from .models import AnnouncementPage

    return (
        isinstance(page, AnnouncementPage)
        and page.severity == AnnouncementPage.Severity.OUTAGE
        and not is_moderator(user)
    )
