"""What the insurer's CSV imports share: a file is read whole and rejected whole, with
line-numbered messages, so a bad export never leaves the mirror half updated. Each source
keeps its own reader."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TypeVar

from django.core.management.base import CommandError
from django.db.models import Field, Model

T = TypeVar("T")


class ImportFailed(Exception):
    """The file was rejected whole; `errors` are line-numbered messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def max_length(model: type[Model], field_name: str) -> int:
    """The longest text `model.field_name` holds: a longer value would make the database
    refuse the whole import, so the readers reject its line instead."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{field_name} has no max_length")
    return field.max_length


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
