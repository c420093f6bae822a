"""Background jobs of the integrations: an ERP import started from the admin or the API."""

from celery import shared_task
from django.utils import timezone

from .importer import ImportRefused, import_file
from .importer.sweep import sweep_unreferenced_pdfs
from .models import ImportRun


def save_report(run: ImportRun, report) -> None:
    run.status = ImportRun.Status.DONE if report.ok else ImportRun.Status.FAILED
    run.rows_total = run.rows_done = report.rows
    run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
    errors = [error.as_dict() for error in report.errors]
    if report.refused:
        errors.insert(0, {"row": None, "column": "", "message": report.refused})
    run.errors = errors
    run.finished_at = timezone.now()
    run.save()


@shared_task
def run_import(run_id: int) -> None:
    """Import the run's stored file; the run keeps its progress, counts and errors."""
    run = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).first()
    if run is None:
        return
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    run.status = ImportRun.Status.RUNNING

    try:
        with run.file.open("rb") as stream:
            report = import_file(
                run.kind, stream, partial=run.partial, progress=run.report_progress
            )
    except (ImportRefused, OSError) as error:
        run.status = ImportRun.Status.FAILED
        run.errors = [{"row": None, "column": "", "message": str(error)}]
        run.finished_at = timezone.now()
        run.save()
        return
    save_report(run, report)


@shared_task
def sweep_import_files() -> int:
    """Removes imported PDFs left by imports that rolled back or were killed."""
    return len(sweep_unreferenced_pdfs())
