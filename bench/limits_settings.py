"""Settings of the limits server: production settings, the two views of `bench.limits`.

Everything that costs per request in the portal besides the middleware and the views
(the database, the cache, sessions, the WSGI server) is configured exactly as in
production, so the limits show what this machine gives before the portal's own work.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.limits"
# Hello runs with no middleware at all; the stub applies the session and authentication
# middleware itself (see bench.limits), so nothing else stands between them and the server.
MIDDLEWARE: list[str] = []
