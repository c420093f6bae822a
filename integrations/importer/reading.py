"""Reading an ERP file row by row: CSV (sniffed delimiter, optional BOM) or JSON Lines."""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _


class ImportRefused(Exception):
    """The file as a whole cannot be imported (encoding, columns, truncation)."""


def open_binary(path_or_file):
    """A binary stream of the file, and its name (a path, or an uploaded/opened file)."""
    if isinstance(path_or_file, str | Path):
        return open(path_or_file, "rb"), str(path_or_file)
    name = getattr(path_or_file, "name", "") or ""
    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    return path_or_file, name


def is_json_lines(name: str, head: bytes) -> bool:
    if name.lower().endswith((".jsonl", ".ndjson", ".json")):
        return True
    return head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"{"


def _text(binary) -> io.TextIOWrapper:
    wrapper = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")
    return wrapper


def _encoding_refusal(row: int) -> ImportRefused:
    return ImportRefused(
        _(
            "The file is not UTF-8 text (row %(row)s cannot be read); "
            "export it from the ERP as UTF-8 (e.g. not Windows-1250)."
        )
        % {"row": row}
    )


def read_values(binary, name: str) -> tuple[list[str], Iterator[tuple[int, Any]], bool]:
    """The columns, the rows and whether the file is CSV: a CSV row is (row number,
    [stripped values]) in the header's order, a JSON Lines row (row number, {key: value});
    rows count from 1 after the header in CSV, from 1 in JSON Lines."""
    head = binary.peek(4096)[:4096] if hasattr(binary, "peek") else b""
    if not head and hasattr(binary, "read"):
        head = binary.read(4096)
        binary.seek(0)
    if is_json_lines(name, head):
        return (*_read_json_lines(binary), False)
    return (*_read_csv(binary, head), True)


def as_dicts(columns: list[str], rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, dict]]:
    for number, values in rows:
        yield number, dict(zip(columns, values, strict=True))


def _read_csv(binary, head: bytes):
    text = _text(binary)
    try:
        sample = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:
            raise _encoding_refusal(1) from error
        sample = head[: error.start].decode("utf-8-sig")
    first_line = sample.splitlines()[0] if sample else ""
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused(_("The file is empty.")) from None
    except UnicodeDecodeError as error:
        raise _encoding_refusal(0) from error
    columns = [column.strip().lower() for column in header]

    def rows():
        number = 0
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                raise _encoding_refusal(number) from error
            except csv.Error as error:
                raise ImportRefused(
                    _("Row %(row)s cannot be read (the file looks cut off): %(reason)s")
                    % {"row": number, "reason": error}
                ) from error
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(columns):
                raise ImportRefused(
                    _("Row %(row)s has %(found)s values, the header has %(expected)s columns.")
                    % {"row": number, "found": len(values), "expected": len(columns)}
                )
            yield number, [value.strip() for value in values]

    return columns, rows()


def _read_json_lines(binary):
    text = _text(binary)

    def parsed():
        number = 0
        while True:
            try:
                line = text.readline()
            except UnicodeDecodeError as error:
                raise _encoding_refusal(number + 1) from error
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise ImportRefused(
                    _("Row %(row)s is not valid JSON (the file looks cut off): %(reason)s")
                    % {"row": number, "reason": error}
                ) from error
            if not isinstance(record, dict):
                raise ImportRefused(_("Row %(row)s is not a JSON object.") % {"row": number})
            yield number, record

    stream = parsed()
    try:
        first = next(stream)
    except StopIteration:
        raise ImportRefused(_("The file is empty.")) from None
    columns = [key.lower() for key in first[1]]

    def rows():
        yield first[0], {key.lower(): value for key, value in first[1].items()}
        for number, record in stream:
            yield number, {key.lower(): value for key, value in record.items()}

    return columns, rows()
