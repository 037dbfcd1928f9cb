"""Reading and answering for the CSV files the loaders take (SMI extracts, registrations):
text or bytes as UTF-8 lines, a clear refusal naming the line that is not UTF-8, and the
reject file written once the load commits. Each loader passes its own error class."""

import codecs
import os
import shutil
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, TextIO


class LoadFileError(Exception):
    """A file refused whole, nothing written; ``str(error)`` is fit to show."""


def write_rejects(
    spool: IO[str], target: TextIO | str | os.PathLike, *, error: type[LoadFileError]
) -> None:
    """Copy the spooled rejects to ``target`` (a path or an open text file)."""
    if isinstance(target, str | os.PathLike):
        try:
            with open(target, "w", newline="", encoding="utf-8") as out:
                shutil.copyfileobj(spool, out)
        except OSError as exc:
            raise error(f"Cannot write the reject file {target}: {exc.strerror}.") from exc
    else:
        shutil.copyfileobj(spool, target)


def not_utf8(exc: UnicodeDecodeError, line: int, *, error: type[LoadFileError]) -> LoadFileError:
    """The refusal of a file whose line ``line`` is not UTF-8, naming the byte."""
    if isinstance(exc.object, bytes) and len(exc.object) > exc.start:
        where = f"byte 0x{exc.object[exc.start]:02X} at position {exc.start + 1}"
    else:
        where = exc.reason
    return error(
        f"Line {line} is not valid UTF-8 ({where}). Save the file as UTF-8 (with or without "
        "BOM) and load it again."
    )


def decoded_lines(source: Iterable[str | bytes], *, error: type[LoadFileError]) -> Iterator[str]:
    """Lines of a text or binary file as text, BOM removed.

    Bytes are decoded line by line (``map``, no Python frame per line); a line that is not
    UTF-8 raises ``UnicodeDecodeError`` holding that line's bytes, and the reader, which
    counts lines, turns it into an ``error`` naming the line (:func:`not_utf8`).
    """
    lines = iter(source)
    try:
        first = next(lines)
    except StopIteration:
        return iter(())
    except UnicodeDecodeError as exc:  # a text file opened by the caller
        raise not_utf8(exc, 1, error=error) from exc
    if isinstance(first, bytes):
        first = first.removeprefix(codecs.BOM_UTF8)
        try:
            first = first.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(exc, 1, error=error) from exc
        return chain([first], map(bytes.decode, lines))
    return chain([first.removeprefix("\ufeff")], _text_lines(lines))


def _text_lines(lines: Iterator[str]) -> Iterator[str]:
    """A text file's own decoding error holds a chunk of the file, not the line: keep only
    its reason."""
    try:
        yield from lines
    except UnicodeDecodeError as exc:
        raise UnicodeDecodeError(exc.encoding, b"", 0, 1, exc.reason) from exc


def header_expected(columns: Iterable[str]) -> str:
    return (
        f"The header names exactly these columns, in any order and any case: {','.join(columns)}."
    )


def no_header(header: list[str] | None, columns: Iterable[str]) -> str | None:
    """Why a file's first line is no header at all (the file is empty, or its first line is
    blank), with the header expected; ``None`` when there is a first line to check."""
    if header is None:
        return f"The file is empty: its first line must be the header. {header_expected(columns)}"
    if not header:
        return f"Line 1 is blank: it must be the header. {header_expected(columns)}"
    return None
