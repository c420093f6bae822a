"""A provider's server on 127.0.0.1 for tests: answers what a test tells it, records calls.

Tests mock nothing but the network: our client speaks real HTTP to this server.
"""

import contextlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str:
        lowered = {key.lower(): value for key, value in self.headers.items()}
        return lowered.get(name.lower(), "")


class ProviderStub:
    def __init__(self):
        self.calls: list[Call] = []
        self.answers: dict[tuple[str, str], tuple[int, object, dict]] = {}
        self.base_url = ""

    def answer(self, method: str, path: str, status: int, body=None, headers=None) -> None:
        """What the server says to `method path`; anything unknown gets 404."""
        self.answers[(method, path)] = (status, body, headers or {})

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if (c.method, c.path) == (method, path)]


def _handler_for(stub: ProviderStub):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            stub.calls.append(Call(self.command, self.path, dict(self.headers.items()), body))
            status, answer, headers = stub.answers.get(
                (self.command, self.path), (404, {"error": "not found"}, {})
            )
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def running_stub():
    stub = ProviderStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stub))
    stub.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
