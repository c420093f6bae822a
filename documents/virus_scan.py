"""Every uploaded file to a ClamAV daemon (clamd) before it is kept, when one is configured.

Off by default: with `CLAMAV_ADDRESS` empty nothing is scanned. When it is set
("tcp://host:3310", "unix:///run/clamav/clamd.ctl" or a bare socket path), the file is
streamed with clamd's INSTREAM command: "zINSTREAM\\0", then chunks each preceded by its
length as a 4-byte big-endian number, then a zero length; clamd answers
"stream: OK" or "stream: <signature> FOUND", ending with NUL.

Fail closed: a configured scanner that cannot be reached, is too slow or answers
anything else makes the upload refused with "try again later". A file that could not be
scanned is never kept, so an outage of clamd cannot be used to slip a file past it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings

CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = 30.0
MAX_REPLY_BYTES = 4096


class ScannerUnavailable(Exception):
    """clamd could not give a verdict: not reachable, timed out, or answered nonsense."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""


def is_enabled() -> bool:
    return bool(getattr(settings, "CLAMAV_ADDRESS", ""))


def scan(stream: IO[bytes]) -> Verdict:
    """clamd's verdict on the whole stream, read from its start; the stream is left at 0."""
    address = settings.CLAMAV_ADDRESS
    stream.seek(0)
    try:
        with _connect(address) as connection:
            connection.sendall(b"zINSTREAM\0")
            try:
                while chunk := stream.read(CHUNK_BYTES):
                    connection.sendall(struct.pack("!I", len(chunk)) + chunk)
                connection.sendall(struct.pack("!I", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stops reading past its StreamMaxLength; its reply says so
            reply = _read_reply(connection)
    except OSError as error:
        raise ScannerUnavailable(f"{address}: {error}") from error
    finally:
        stream.seek(0)
    return _verdict(reply)


def _connect(address: str) -> socket.socket:
    parts = urlsplit(address)
    if parts.scheme == "tcp":
        if not parts.hostname or not parts.port:
            raise ScannerUnavailable(f"{address}: give tcp://host:port")
        return socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT_SECONDS)
    path = parts.path if parts.scheme == "unix" else address
    if not path.startswith("/"):
        raise ScannerUnavailable(f"{address}: give tcp://host:port or a socket path")
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(TIMEOUT_SECONDS)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        raise
    return connection


def _read_reply(connection: socket.socket) -> bytes:
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY_BYTES:
        data = connection.recv(MAX_REPLY_BYTES)
        if not data:
            break
        reply += data
    return reply.split(b"\0", 1)[0]


def _verdict(reply: bytes) -> Verdict:
    text = reply.decode("utf-8", "replace").strip()
    result = text.removeprefix("stream: ") if text.startswith("stream: ") else ""
    if result == "OK":
        return Verdict(clean=True)
    if result.endswith(" FOUND"):
        return Verdict(clean=False, signature=result.removesuffix(" FOUND"))
    raise ScannerUnavailable(f"clamd answered {text[:200]!r}")
