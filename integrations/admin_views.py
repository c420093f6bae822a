"""Staff import ERP files from the admin and follow the history of imports."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .importer import KINDS
from .models import ImportRun

IMPORT_PERMISSION = "integrations.add_importrun"


def may_import(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(IMPORT_PERMISSION))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[(k, k) for k in KINDS])
    file = forms.FileField(
        label=gettext_lazy("File (CSV or JSON Lines, UTF-8; or a ZIP with it and the PDFs)")
    )
    partial = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and list the others"), required=False
    )


def start_import(*, kind: str, upload, partial: bool, user) -> ImportRun:
    """Store the file, record the run, and queue the job once the run is committed."""
    from .tasks import run_import

    with transaction.atomic():
        run = ImportRun(kind=kind, partial=partial, started_by=user, file_name=upload.name[:200])
        run.file.save(upload.name, upload, save=False)
        run.save()
        transaction.on_commit(lambda: run_import.delay(run.pk))
    return run


def _guard(request) -> None:
    if not may_import(request.user):
        raise PermissionDenied


def import_page(request):
    _guard(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = start_import(
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            partial=form.cleaned_data["partial"],
            user=request.user,
        )
        messages.success(request, _("The import has been queued."))
        return redirect("integrations_import_detail", run.pk)
    runs = ImportRun.objects.select_related("started_by")[:50]
    running = any(run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING) for run in runs)
    return TemplateResponse(
        request,
        "integrations/import_page.html",
        {"form": form, "runs": runs, "running": running},
    )


def import_detail(request, pk):
    _guard(request)
    run = get_object_or_404(ImportRun.objects.select_related("started_by"), pk=pk)
    running = run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)
    return TemplateResponse(
        request, "integrations/import_detail.html", {"run": run, "running": running}
    )
