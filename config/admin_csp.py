"""Hashes for the Wagtail admin's own inline scripts, so its CSP needs no 'unsafe-inline'.

Wagtail still prints a few widgets' start-up calls as inline scripts: date and time
choosers, chooser widgets (pages, documents, images, snippets, tasks) and inline panels.
Each is a call of a known function with JSON arguments. A script whose text is exactly
such a call gets its SHA-256 hash into the page's policy; anything else inline, an
injected script included, gets no hash and the browser refuses to run it.

JSON cannot call anything, so an allowed script can only start one of Wagtail's widgets.
"""

import base64
import hashlib
import json
import re

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)

# A JavaScript string literal as json.dumps and escapejs write it, and the call shapes.
_STRING = r'"(?:[^"\\\n]|\\.)*"'
_WIDGET_CALL = re.compile(
    rf"(?:initDateChooser|initDateTimeChooser|initTimeChooser"
    rf"|new [A-Z][A-Za-z]*Chooser)\(({_STRING}), (\{{.*\}})\);",
    re.DOTALL,
)
_PANEL_CALL = re.compile(
    rf"\(function\(\) \{{\s*var panel = new (?:InlinePanel|MultipleChooserPanel)"
    rf"\(JSON\.parse\(({_STRING})\)\);\s*\}}\)\(\);",
    re.DOTALL,
)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def is_widget_start(script: str) -> bool:
    """Whether an inline script is exactly one of Wagtail's widget start-up calls."""
    body = script.strip()
    if match := _WIDGET_CALL.fullmatch(body):
        return all(_is_json(part) for part in match.groups())
    if match := _PANEL_CALL.fullmatch(body):
        literal = match.group(1)
        return _is_json(literal) and _is_json(json.loads(literal))
    return False


def script_hash(script: str) -> str:
    """The CSP hash source of a script's text, as the browser computes it."""
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_scripts(html: str) -> list[str]:
    """The text of every inline script a browser would run."""
    found = []
    for attributes, text in _SCRIPT.findall(html):
        kind = _TYPE.search(attributes)
        if _SRC.search(attributes) or (kind and kind.group(1).lower() not in _EXECUTABLE_TYPES):
            continue
        found.append(text)
    return found


def widget_hashes(html: str) -> list[str]:
    """Hash sources for the widget start-up scripts of a page, each once, in page order."""
    return list(dict.fromkeys(script_hash(s) for s in inline_scripts(html) if is_widget_start(s)))
