"""The Wagtail admin runs no inline script but its own widgets' start-up calls.

Its policy has no 'unsafe-inline': each widget call is allowed by its hash, and only a
call of a known widget with JSON arguments gets one. The admin is walked link by link,
so a new admin screen whose inline script is not recognised fails here (in a browser
it would be a widget that silently does not start).
"""

import re
from collections import deque

import pytest
from django.urls import reverse
from wagtail.admin.widgets import (
    AdminDateInput,
    AdminDateTimeInput,
    AdminPageChooser,
    AdminTimeInput,
)
from wagtail.documents.widgets import AdminDocumentChooser
from wagtail.images.widgets import AdminImageChooser
from wagtail.snippets.widgets import AdminSnippetChooser

from config.admin_csp import inline_scripts, is_widget_start, script_hash, widget_hashes

pytestmark = pytest.mark.django_db

WIDGETS = {
    "date": AdminDateInput(),
    "datetime": AdminDateTimeInput(),
    "time": AdminTimeInput(),
    "page chooser": AdminPageChooser(),
    "document chooser": AdminDocumentChooser(),
    "image chooser": AdminImageChooser(),
}

HOSTILE = [
    "alert(1)",
    'initDateChooser("id_x", {"a": alert(1)});',
    'initDateChooser("id_x", {}); alert(1);',
    'initDateChooser("id_x", {});\nalert(1)',
    'initDateChooser("id_x" + alert(1), {});',
    "initDateChooser(alert(1), {});",
    'initDateChooser("id_x", {"a": 1}); fetch("/api/v1/invoices/"); x({"b": 2});',
    'new PageChooser("id_x", {"modalUrl": "/"}); document.cookie;',
    'new PageChooser("id_x", {"modalUrl": `${alert(1)}`});',
    'new Function("alert(1)")("id_x", {});',
    'new evalChooser("id_x", {});',
    'eval("x")',
    '(function() { var panel = new InlinePanel(JSON.parse("{}")); alert(1); })();',
    '(function() { var panel = new InlinePanel(JSON.parse("{}" + alert(1))); })();',
    '(function() { var panel = new InlinePanel(JSON.parse("not json")); })();',
    '(function() { var panel = new InlinePanel(eval("{}")); })();',
    '(function() { var panel = new InlinePanel(JSON.parse("\\u0022\\u002Balert(1)")); })();',
]


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_wagtails_own_widget_scripts_are_recognised(name):
    html = WIDGETS[name].render("field", None, {"id": "id_field"})
    scripts = inline_scripts(html)
    assert len(scripts) == 1
    assert is_widget_start(scripts[0])


def test_a_snippet_chooser_script_is_recognised():
    from servicedesk.models import Team

    html = AdminSnippetChooser(Team).render("team", None, {"id": "id_team"})
    assert all(is_widget_start(script) for script in inline_scripts(html))


@pytest.mark.parametrize("script", HOSTILE)
def test_anything_else_gets_no_hash(script):
    assert not is_widget_start(script)
    assert widget_hashes(f"<p>x</p><script>{script}</script>") == []


def test_only_scripts_a_browser_runs_are_considered():
    html = (
        '<script src="/static/x.js"></script>'
        '<script type="application/json">{"a": 1}</script>'
        '<script type="text/template"><b>x</b></script>'
        "<SCRIPT type='text/javascript'>one()</SCRIPT >"
        "<script>two()</script>"
    )
    assert inline_scripts(html) == ["one()", "two()"]


def test_the_hash_is_the_one_a_browser_computes():
    # echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
    assert script_hash("alert(1)") == "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"


@pytest.fixture
def admin_world(home_page):
    """Pages and registers whose editors carry date choosers, choosers and inline panels."""
    from home.models import FormField, FormPage
    from tests.factories import ReadingWindowFactory

    form = FormPage(title="Zgłoszenie", slug="zgloszenie", to_address="bok@example.pl")
    home_page.add_child(instance=form)
    FormField.objects.create(page=form, label="Imię", field_type="singleline", sort_order=0)
    ReadingWindowFactory()
    return form


def _script_sources(response) -> list[str]:
    header = response["Content-Security-Policy"]
    return re.search(r"script-src ([^;]*)", header).group(1).split()


def test_every_inline_script_of_the_admin_is_a_hashed_widget(admin_world, staff_client):
    """Walks the admin from its home, following links, as staff would click."""
    skip = ("logout", "delete", "unpublish", "/copy/", "/move/", "/lock/", "/export/")
    seen, queue = set(), deque([reverse("wagtailadmin_home")])
    pages = scripts = 0
    unrecognised = []
    while queue and pages < 250:
        url = queue.popleft()
        if url in seen or any(word in url for word in skip):
            continue
        seen.add(url)
        response = staff_client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        pages += 1
        html = response.content.decode()
        sources = _script_sources(response)
        assert "'unsafe-inline'" not in sources, url
        for script in inline_scripts(html):
            scripts += 1
            if script_hash(script) not in sources:
                unrecognised.append((url, script[:120]))
        queue.extend(re.findall(r'href="(/admin/[^"#?]*)"', html))
    assert unrecognised == [], "teach config/admin_csp.py this widget, or drop its script"
    assert pages > 30, "the admin walk found too few screens: it is broken"
    assert scripts > 10, "no widget script seen: the walk misses the editors"
