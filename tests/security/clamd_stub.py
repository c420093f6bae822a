"""A stand-in for clamd at the network boundary: a real socket server speaking INSTREAM.

It answers what clamd answers: "stream: OK", "stream: Eicar-Test-Signature FOUND" when the
EICAR test string is in the stream, "INSTREAM size limit exceeded. ERROR" past its
StreamMaxLength, "UNKNOWN COMMAND" otherwise; replies end with NUL for "z" commands and
newline for "n" ones. It keeps what it received so a test can check the framing.
Misbehaviours for fail-closed tests: "hang" (reads, never answers), "garbage", "close".
"""

from __future__ import annotations

import os
import socket
import socketserver
import struct
import tempfile
import threading
from dataclasses import dataclass, field

# Built from parts so that this file itself is not taken for a test virus.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-" + b"TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature"
STREAM_MAX_LENGTH = 25 * 1024 * 1024


@dataclass
class Scan:
    command: bytes
    chunk_sizes: list[int] = field(default_factory=list)
    data: bytes = b""
    terminated: bool = False
    reply: bytes = b""


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        stub: ClamdStub = self.server.stub
        connection = self.request
        reader = connection.makefile("rb")
        command = _read_command(reader)
        if command is None:
            return
        scan = Scan(command=command)
        stub.scans.append(scan)
        if stub.behaviour == "close":
            return
        end = b"\0" if command.startswith(b"z") else b"\n"
        if command[1:] == b"PING":
            connection.sendall(b"PONG" + end)
            return
        if command[1:] != b"INSTREAM":
            connection.sendall(b"UNKNOWN COMMAND" + end)
            return
        chunks = []
        while True:
            header = reader.read(4)
            if len(header) < 4:
                return  # the client went away mid-stream: clamd answers nobody
            (size,) = struct.unpack("!I", header)
            if size == 0:
                scan.terminated = True
                break
            scan.chunk_sizes.append(size)
            if sum(scan.chunk_sizes) > stub.stream_max_length:
                connection.sendall(b"INSTREAM size limit exceeded. ERROR" + end)
                return
            chunk = reader.read(size)
            if len(chunk) < size:
                return
            chunks.append(chunk)
        scan.data = b"".join(chunks)
        if stub.behaviour == "hang":
            stub.released.wait()
            return
        if stub.behaviour == "garbage":
            scan.reply = b"Can't allocate memory ERROR"
        elif EICAR in scan.data:
            scan.reply = f"stream: {SIGNATURE} FOUND".encode()
        else:
            scan.reply = b"stream: OK"
        connection.sendall(scan.reply + end)


def _read_command(reader) -> bytes | None:
    """A clamd command: "z…\\0" or "n…\\n" (at most 64 bytes, as clamd allows little more)."""
    first = reader.read(1)
    if first not in (b"z", b"n"):
        return None
    end = b"\0" if first == b"z" else b"\n"
    command = first
    while len(command) < 64:
        byte = reader.read(1)
        if not byte or byte == end:
            return command
        command += byte
    return None


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class ClamdStub:
    """A clamd on 127.0.0.1 at a free port, or on a unix socket, in a thread of the test."""

    def __init__(self, *, unix: bool = False, behaviour: str = "scan"):
        self.behaviour = behaviour
        self.stream_max_length = STREAM_MAX_LENGTH
        self.scans: list[Scan] = []
        self.released = threading.Event()
        self._folder = None
        if unix:
            # A short path: AF_UNIX paths are limited to about 100 bytes.
            self._folder = tempfile.mkdtemp(prefix="clamd-", dir="/tmp")
            self.path = os.path.join(self._folder, "clamd.ctl")
            self._server = _UnixServer(self.path, _Handler)
            self.address = f"unix://{self.path}"
        else:
            self._server = _TCPServer(("127.0.0.1", 0), _Handler)
            self.address = f"tcp://127.0.0.1:{self._server.server_address[1]}"
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ClamdStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._folder:
            if os.path.exists(self.path):
                os.unlink(self.path)
            os.rmdir(self._folder)


def closed_port_address() -> str:
    """A TCP address where nothing listens: a port the system gave out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"
