"""What the insurer's CSV imports share (DESIGN, "Source data"): a file is read whole and
rejected whole, with line-numbered messages. Each source keeps its own reader."""

import csv
from collections.abc import Callable
from typing import TypeVar

from django.core.management.base import CommandError

T = TypeVar("T")


class ImportFailed(Exception):
    """The file was rejected whole; `errors` are line-numbered messages."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def read_csv_file(path: str, reader: Callable[..., T]) -> T:
    """Open `path` as UTF-8 (BOM allowed) and parse it with `reader`, or raise CommandError
    with the reason: unreadable file, bad encoding or CSV, or the bad lines."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            return reader(stream)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"No se pudo leer {path}: {exc}") from exc
    except ImportFailed as exc:
        raise CommandError(
            "Archivo rechazado, no se importó nada:\n" + "\n".join(exc.errors)
        ) from exc
