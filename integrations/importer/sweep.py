"""Imported PDFs that no row points to any more, removed after a grace period.

A PDF is stored (by digest) while its import's transaction is still open. When that
transaction rolls back (a refused file, a crash, a killed process) the rows are gone but
the file stays; nothing could clean it up at that moment, so a periodic sweep does.
Files younger than the grace period are left alone: their import may still be running.
"""

import re
from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from .kinds import KINDS

DIGEST_NAME = re.compile(r"[0-9a-f]{64}\.pdf")
GRACE = timedelta(hours=24)


def _folders() -> dict[str, list[tuple]]:
    """Each storage folder imports write into, with the (model, field) pairs that use it."""
    folders = defaultdict(list)
    for kind in KINDS.values():
        for model, name in kind().stored_file_fields():
            folder = str(model._meta.get_field(name).upload_to).strip("/")
            if (model, name) not in folders[folder]:
                folders[folder].append((model, name))
    return folders


def sweep_unreferenced_pdfs(grace: timedelta = GRACE) -> list[str]:
    """Deletes stored import PDFs no row names and older than `grace`; returns their names.

    Only names the import itself writes (`<folder>/<2 hex>/<sha-256>.pdf`) are looked at,
    so files staff uploaded into the same folder are never candidates.
    """
    cutoff = timezone.now() - grace
    removed = []
    for folder, fields in _folders().items():
        storage = fields[0][0]._meta.get_field(fields[0][1]).storage
        if not storage.exists(folder):
            continue
        subfolders, _ = storage.listdir(folder)
        for sub in sorted(subfolders):
            names = [
                f"{folder}/{sub}/{name}"
                for name in storage.listdir(f"{folder}/{sub}")[1]
                if DIGEST_NAME.fullmatch(name) and name.startswith(sub)
            ]
            if not names:
                continue
            named = set()
            for model, field in fields:
                lookup = {f"{field}__in": names}
                named.update(model._base_manager.filter(**lookup).values_list(field, flat=True))
            for name in names:
                if name not in named and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    removed.append(name)
    return removed
