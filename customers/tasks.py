from celery import shared_task

from documents.pdf import issuing_company

from .activation import run_access_batch
from .models import AccessBatch


@shared_task
def generate_access_letters(batch_id: int) -> None:
    """Make the codes, letters and e-mails of one batch (see run_access_batch)."""
    batch = AccessBatch.objects.get(pk=batch_id)
    if batch.status != AccessBatch.Status.QUEUED:
        return  # delivered twice after a worker died: the first run owns it
    run_access_batch(batch, issuing_company())
