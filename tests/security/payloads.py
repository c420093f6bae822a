"""Hostile input: markup, template syntax, header breaks and SQL-looking text.

Every markup payload carries MARK (``1337``) in the part that would run if a page let it
live, so a parser can tell an injected element from the same text shown escaped. Template
payloads would print EVALUATED if any template engine ran them.
"""

MARK = "1337"
EVALUATED = "EVALUATED-TPL1337"

XSS_PAYLOADS = [
    # plain script and event handlers
    "<script>alert(1337)</script>",
    "<img src=x onerror=alert(1337)>",
    "<svg onload=alert(1337)>",
    "<svg><script>alert(1337)</script></svg>",
    "<body onload=alert(1337)>",
    "<details open ontoggle=alert(1337)>",
    "<input autofocus onfocus=alert(1337)>",
    # javascript: and data: URLs
    '<a href="javascript:alert(1337)">klik</a>',
    "javascript:alert(1337)",
    '<iframe src="javascript:alert(1337)"></iframe>',
    '<a href="jav&#x09;ascript:alert(1337)">klik</a>',
    '<form action="javascript:alert(1337)"><button>x</button></form>',
    '<object data="data:text/html,<script>alert(1337)</script>"></object>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1337)">',
    '<base href="javascript:alert(1337)//">',
    # attribute breakouts with both quotes
    '"><script>alert(1337)</script>',
    "'><img src=x onerror=alert(1337)>",
    '" onmouseover="alert(1337)" x="',
    "' onfocus='alert(1337)' autofocus x='",
    # closing the element the value is shown in
    "</textarea><script>alert(1337)</script>",
    "</title><script>alert(1337)</script>",
    # broken and nested tags, mutation tricks
    "<img src=x onerror=alert(1337)",
    "<scr<script>ipt>alert(1337)</scr</script>ipt>",
    "<<script>alert(1337);//<</script>",
    '<!--<img src="--><img src=x onerror=alert(1337)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1337)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1337)>",
    "<style>@import 'javascript:alert(1337)';</style>",
    # template syntax (Django, Jinja) that must stay text
    '{{ "EVALUATED-"|add:"TPL1337" }} {{7*7}}',
    "{% filter upper %}evaluated-tpl1337{% endfilter %} {% debug %}",
    '{{ "EVALUATED-" ~ "TPL1337" }} ${7*7} #{7*7}',
    # unicode tricks: right-to-left override, zero width, full-width brackets, BOM
    "\u202egnp.exe<script>alert(1337)</script>",
    "<scr\u200bipt>alert(1337)</scr\u200bipt><img src=x o\u200bnerror=alert(1337)>",
    "\uff1cscript\uff1ealert(1337)\uff1c/script\uff1e",
    "\ufeff<svg onload=alert(1337)>",
    # header injection in anything that may become an e-mail subject
    "Temat\r\nBcc: x@evil.example\r\n\r\n<script>alert(1337)</script>",
    "Temat\nX-Injected: 1337\nBcc: x@evil.example",
    "Temat%0d%0aBcc:%20x@evil.example",
    # reportlab paragraph markup, which a PDF must print, not obey
    '<font color="red" size="40">1337 czerwony</font>',
    '<a href="https://evil.example/1337">link</a><b>1337</b><br/><para>',
    '<img src="/etc/passwd" width="100" height="100"/>1337',
    "&amp;&lt;&#0;&#x1337; <unknown-tag 1337> <![CDATA[1337]]>",
    # NUL byte and a very long value
    "zero\x00byte<script>alert(1337)</script>",
    "A" * 6000 + "<script>alert(1337)</script>",
]

SQL_PAYLOADS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE customers_customer; --',
    "1; DELETE FROM billing_invoice",
    "%",
    "_",
    "%_%' ESCAPE '\\",
    "\u2019 OR \u20181\u2019=\u20181",
    "1) UNION SELECT password FROM customers_user --",
    "zero\x00byte",
    "\\",
    "x" * 5000,
]

HOSTILE_ORDERING = [
    "password",
    "-password",
    "customer__owner__email",
    "customer__memberships__user__password",
    "user__password",
    "customer__name",
    "' OR 1=1 --",
    "pk,password",
    "?",
    "__",
]
