"""Signs in many customers' users and writes, per scenario, the requests wrk replays.

    targets.py prepare --users K --out DIR   # sessions, tokens, DIR/requests/*.tsv, manifest
    targets.py cleanup --out DIR             # ends those sessions, deletes those tokens

Run with the same settings and SECRET_KEY as the server under test: the session hash
and the session store must be the ones the server reads. Sessions are made by
`django.contrib.auth.login` on a request that never reaches a view, so they hold what
a real sign-in leaves (auth keys, login time, step-up mark, the device row); each
user's URLs come from the gate (`active_membership`), so they are that user's own.
"""

import argparse
import json
import math
import os
import sys
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import login  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from wagtail.models import Site  # noqa: E402

from announcements.models import AnnouncementPage, Audience  # noqa: E402
from bench.scenarios import HELLO, LIMIT_PATHS, SCENARIOS, STUB  # noqa: E402
from billing.models import Invoice  # noqa: E402
from billing.views import InvoiceListView  # noqa: E402
from customers.gate import active_membership  # noqa: E402
from customers.models import (  # noqa: E402
    Customer,
    Membership,
    PersonalAccessToken,
    Role,
    User,
    UserSession,
)
from metering.models import Meter, Reading  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"
TOKEN_NAME = "load benchmark"  # noqa: S105 - a label, not a secret
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def bench_users(count: int) -> list[User]:
    """The first `count` users (by id) who own a customer and sign in with a password alone."""
    two_factor_customers = Customer.objects.filter(segments__requires_two_factor=True)
    return list(
        User.objects.filter(
            is_active=True,
            is_staff=False,
            is_superuser=False,
            memberships__role=Role.OWNER,
            memberships__status=Membership.Status.ACTIVE,
        )
        .exclude(memberships__customer__in=two_factor_customers)
        .distinct()
        .order_by("pk")[:count]
    )


def sign_in(user: User):
    """A request signed in as `user` the way the login view does it, its session saved."""
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="okienko-bench")
    request.user = AnonymousUser()
    request.session = SessionStore()
    login(request, user, backend=BACKEND)
    request.session.save()
    return request


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def public_requests() -> dict[str, list[list[str]]]:
    site = Site.objects.select_related("root_page").get(is_default_site=True)
    requests = {"home": [[path_of(site.root_page.specific.get_url())]]}
    announcement = (
        AnnouncementPage.objects.live()
        .public()
        .filter(audience=Audience.PUBLIC)
        .current()
        .order_by("-valid_from", "pk")
        .first()
    )
    requests["announcement"] = [[path_of(announcement.get_url())]] if announcement else []
    return requests


def signed_in_requests(users: list[User], manifest: dict) -> dict[str, list[list[str]]]:
    """Per scenario, one request per user that has what the scenario shows."""
    requests: dict[str, list[list[str]]] = {
        name: [] for name in ("dashboard", "invoices", "invoices_deep", "invoice_pdf")
    }
    requests.update({name: [] for name in ("statement", "meter", "api_invoices", STUB)})
    expires = timezone.now() + timedelta(days=1)
    depths = []
    for user in users:
        request = sign_in(user)
        key = request.session.session_key
        manifest["session_keys"].append(key)
        cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={key}"
        membership = active_membership(request)
        if membership is None:
            continue
        invoices = Invoice.objects.for_membership(membership)
        pages = max(1, math.ceil(invoices.count() / InvoiceListView.paginate_by))
        depths.append(pages)
        requests["dashboard"].append([reverse("customer:dashboard"), cookie])
        requests["invoices"].append([reverse("billing:invoices"), cookie])
        requests["invoices_deep"].append([f"{reverse('billing:invoices')}?page={pages}", cookie])
        requests["statement"].append([reverse("billing:statement"), cookie])
        requests[STUB].append([LIMIT_PATHS[STUB], cookie])
        newest = invoices.order_by("-issue_date", "-number").values_list("public_id", flat=True)
        if newest:
            pdf = reverse("billing:invoice_pdf", kwargs={"invoice_id": newest[0]})
            requests["invoice_pdf"].append([pdf, cookie])
        meter = (
            Meter.objects.for_membership(membership)
            .order_by("pk")
            .values_list("public_id", flat=True)
            .first()
        )
        if meter:
            requests["meter"].append(
                [reverse("metering:meter", kwargs={"meter_id": meter}), cookie]
            )
        token, raw = PersonalAccessToken.issue(
            user=user, name=TOKEN_NAME, scope=PersonalAccessToken.Scope.READ, expires_at=expires
        )
        manifest["token_ids"].append(token.pk)
        requests["api_invoices"].append(
            [reverse("api-v1:invoice-list"), f"Authorization: Bearer {raw}"]
        )
    depths.sort()
    manifest["invoice_pages"] = {
        "median": depths[len(depths) // 2] if depths else 0,
        "max": depths[-1] if depths else 0,
    }
    return requests


def data_size() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "users": User.objects.count(),
        "invoices": Invoice.objects.count(),
        "meters": Meter.objects.count(),
        "readings": Reading.objects.count(),
    }


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def prepare(user_count: int, out: Path) -> None:
    manifest: dict = {"session_keys": [], "token_ids": []}
    users = bench_users(user_count)
    if not users:
        sys.exit("No users with an owner membership (and no second factor) in this database.")
    requests = public_requests() | signed_in_requests(users, manifest)
    requests[HELLO] = [[LIMIT_PATHS[HELLO]]]
    folder = out / "requests"
    folder.mkdir(parents=True, exist_ok=True)
    for name in [s.name for s in SCENARIOS] + [HELLO, STUB]:
        lines = requests.get(name, [])
        (folder / f"{name}.tsv").write_text("".join("\t".join(r) + "\n" for r in lines))
        manifest.setdefault("requests", {})[name] = len(lines)
    manifest.update(
        users=len(users),
        data=data_size(),
        postgresql=server_version(),
        session_cookie=settings.SESSION_COOKIE_NAME,
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


def cleanup(out: Path) -> None:
    """End the sessions and delete the tokens a `prepare` made; harmless when run twice."""
    path = out / "manifest.json"
    if not path.exists():
        return
    manifest = json.loads(path.read_text())
    keys = manifest.get("session_keys", [])
    for key in keys:
        SessionStore(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    PersonalAccessToken.objects.filter(pk__in=manifest.get("token_ids", [])).delete()
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["prepare", "cleanup"])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.action == "prepare":
        cleanup(args.out)
        prepare(args.users, args.out)
    else:
        cleanup(args.out)


if __name__ == "__main__":
    main()
