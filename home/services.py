"""What a submitted form page sets going: the answers kept, a service-desk request for a
signed-in customer, the staff's notice in the outbox — all in one transaction."""

from django.db import transaction
from wagtail import hooks

from customers.gate import active_membership
from customers.models import Ability


def file_request_from_form(request, page, cleaned_data: dict):
    """A service-desk request from a signed-in customer's answers, or None.

    Home pages may not import the service desk: rooms answer the `form_submission_request`
    hook, called with (request, membership, page, cleaned_data) for an active membership
    that may file requests; the first answer that is not None (an object with `reference`
    and `url`) is the request filed.
    """
    if not request.user.is_authenticated:
        return None
    membership = active_membership(request)
    if membership is None or not membership.can(Ability.FILE_REQUESTS):
        return None
    for fn in hooks.get_hooks("form_submission_request"):
        filed = fn(request, membership, page, cleaned_data)
        if filed is not None:
            return filed
    return None


@transaction.atomic
def accept_form_submission(page, request, form) -> tuple:
    """Keep a valid submission of a form page; returns (submission, filed request or None).

    The staff notice names the filed request, so the request is filed first.
    """
    form.filed_request = file_request_from_form(request, page, form.cleaned_data)
    submission = page.process_form_submission(form)
    return submission, form.filed_request
