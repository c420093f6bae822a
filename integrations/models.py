"""What the ERP sends in (import runs) and what the portal sends out (webhook endpoints)."""

import secrets
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.storage import private_storage


class ImportRun(models.Model):
    """One import of one file: who, when, what, how it went; the history staff see."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30)
    file = models.FileField(_("file"), upload_to="imports/", storage=private_storage, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    partial = models.BooleanField(_("import the valid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name} ({self.get_status_display()})"

    @property
    def progress_key(self) -> str:
        return f"import-run:{self.pk}:rows"

    def report_progress(self, rows: int) -> None:
        """Rows read so far; kept in the cache because the import's transaction hides the
        row itself from everyone else until it commits."""
        cache.set(self.progress_key, rows, 24 * 3600)

    @property
    def rows_read(self) -> int:
        if self.status == self.Status.RUNNING:
            return cache.get(self.progress_key, self.rows_done)
        return self.rows_done


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL of the company's systems that hears of chosen events, signed with a secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
