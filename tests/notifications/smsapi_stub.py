"""SMSAPI.pl on 127.0.0.1 for tests: answers /sms.do as the real gateway does, records calls.

Only the network is stubbed: the backend speaks real HTTP (form fields, bearer token) to it.
"""

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCEPTED = {
    "count": 1,
    "list": [
        {
            "id": "6710D4A63364373AFB7A6E5F",
            "points": 0.16,
            "number": "48600100200",
            "status": "QUEUE",
        }
    ],
}
UNAUTHORIZED = {"error": 101, "message": "Authorization failed"}


@dataclass
class Call:
    path: str
    headers: dict
    fields: dict  # form field → its one value

    def header(self, name: str) -> str:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower(), "")


@dataclass
class SmsApiStub:
    base_url: str = ""
    status: int = 200
    answer: object = field(default_factory=lambda: ACCEPTED)
    delay: float = 0.0
    calls: list[Call] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.base_url}/sms.do"


def _handler_for(stub: SmsApiStub):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            fields = {name: values[0] for name, values in parse_qs(body).items()}
            stub.calls.append(Call(self.path, dict(self.headers.items()), fields))
            if stub.delay:
                time.sleep(stub.delay)
            payload = (
                stub.answer if isinstance(stub.answer, bytes) else json.dumps(stub.answer).encode()
            )
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def running_smsapi():
    stub = SmsApiStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stub))
    server.daemon_threads = True
    stub.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
