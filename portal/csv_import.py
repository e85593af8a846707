"""What the insurer's CSV imports share: a file is read whole and rejected whole, with
line-numbered messages, so a bad export never leaves the mirror half updated. `read_rows`
checks what every file must hold; each source's reader adds only its own column rules. The
checked rows are then written set-based (staged by COPY, one statement per table touching
only the rows that changed), with progress on a terminal."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TextIO, TypeVar, cast

from django.core.management.base import CommandError
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.utils import timezone
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

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


# Whitespace within a line: spaces, tabs, no-break spaces, but not a cell's line breaks.
INNER_SPACES = re.compile(r"[^\S\r\n]+")


def normalize_cell(value: str | None) -> str:
    """A cell as stored: stripped, each inner run of spaces made one space, line breaks kept."""
    # Collapsed, not only stripped: spacing in an export is typing, not data, so "MARÍA  JOSÉ "
    # is one name on every line (a person's lines compare equal) and in every re-export (a
    # re-spaced value is no change to write). A line break had to be quoted in the file, so it
    # is meant (an address's lines): it is kept as written.
    value = value or ""
    if "\n" in value or "\r" in value:
        return INNER_SPACES.sub(" ", value).strip()
    return " ".join(value.split())  # the same, four times faster than the regex: most cells


@dataclass(slots=True)
class CsvRow:
    """One data row: the file line it ends on, its cells normalised, what is wrong with it."""

    line: int
    values: dict[str, str]
    problems: list[str]


def read_rows(
    stream: Iterable[str],
    *,
    columns: list[str],
    required: list[str],
    limits: dict[str, int],
    to_record: Callable[[CsvRow], T | None],
) -> list[T]:
    """Every row of `stream` made a record by `to_record`, or ImportFailed listing every bad
    line. Checked here: the header names `columns`, `required` cells are not empty, and no
    cell holds what the database would refuse (a NUL, more than its column's `limits`).
    `to_record` adds its source's rules to `row.problems`, returning None only after one."""
    reader = csv.DictReader(stream)
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([f"línea 1: faltan columnas: {', '.join(missing)}"])
    records: list[T] = []
    errors: list[str] = []
    for cells in reader:
        values = {c: normalize_cell(cells.get(c)) for c in columns}
        problems = [f"'{c}' está vacío" for c in required if not values[c]]
        problems += [f"'{c}' contiene un carácter nulo" for c, v in values.items() if "\x00" in v]
        problems += [
            f"'{c}' excede {limits[c]} caracteres"
            for c, v in values.items()
            if c in limits and len(v) > limits[c]
        ]
        row = CsvRow(reader.line_num, values, problems)
        record = to_record(row)
        if row.problems or record is None:
            errors.append(f"línea {row.line}: " + "; ".join(row.problems))
        else:
            records.append(record)
    if errors:
        raise ImportFailed(errors)
    return records


def read_csv_file(
    path: str, reader: Callable[[Iterable[str]], T], progress: ImportProgress | None = None
) -> T:
    """Open `path` as UTF-8 (BOM allowed) and parse it with `reader`, or raise CommandError
    with the reason: unreadable file, bad encoding or CSV, or the bad lines."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            if progress is None or not progress.shown:  # no bar: no second read to count
                return reader(stream)
            progress.start("comprobadas", count_lines(path))
            return reader(_counted(stream, progress))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"No se pudo leer {path}: {exc}") from exc
    except ImportFailed as exc:
        raise CommandError(
            "Archivo rechazado, no se importó nada:\n" + "\n".join(exc.errors)
        ) from exc


@dataclass
class ImportSummary:
    """What an import did, in counts only (no personal data): for its one summary line.
    `seconds` is the whole command's, reading included."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    seconds: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.read - self.inserted - self.updated


class ImportProgress:
    """Rows checked and written, with rate and time left, on a terminal; silent otherwise,
    where the command prints its one summary line instead."""

    def __init__(self, stream: io.TextIOBase | TextIO | None) -> None:
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        if stream is not None and stream.isatty():
            # Django's OutputWrapper ends every write with a newline: rich needs the terminal.
            terminal = cast(TextIO, getattr(stream, "_out", stream))
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(file=terminal),
                transient=False,
            )

    @property
    def shown(self) -> bool:
        """Whether there is a bar to draw (a terminal)."""
        return self.bar is not None

    def __enter__(self) -> ImportProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def start(self, what: str, total: int | None) -> None:
        """Begin counting `what` ("comprobadas", "escritas") out of `total` rows."""
        if self.bar is not None:
            self.tasks[what] = self.bar.add_task(f"Filas {what}", total=total, rate="")

    def advance(self, what: str, rows: int) -> None:
        if self.bar is not None and what in self.tasks:
            task = self.tasks[what]
            self.bar.advance(task, rows)
            speed = self.bar.tasks[task].speed  # rows/s over rich's recent window
            self.bar.update(task, rate=f"{speed:,.0f} filas/s" if speed else "")


def count_lines(path: str) -> int:
    """Data rows in `path` for the progress bar (lines after the header; quoted newlines
    make it an estimate, which is all a bar needs)."""
    lines = 0
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def _counted(lines: Iterable[str], progress: ImportProgress) -> Iterator[str]:
    """`lines`, advancing the "comprobadas" bar every 1,000 lines (the header not counted)."""
    pending = -1
    for line in lines:
        yield line
        pending += 1
        if pending == 1000:
            progress.advance("comprobadas", pending)
            pending = 0
    progress.advance("comprobadas", pending)


# --- set-based writing ------------------------------------------------------------------
# The SQL below is built from our models' table and column names, never from the file: the
# file's values go in by COPY or as parameters (hence the S608/B608 exemptions).
# ruff: noqa: S608
STAGE_CHUNK = 20_000


def stage(
    cursor: CursorWrapper,
    table: str,
    columns: list[tuple[str, str]],
    rows: list[tuple[Any, ...]],
    progress: ImportProgress | None = None,
) -> None:
    """A temporary table `table` (name, SQL type per column) holding `rows`. On PostgreSQL
    they go in by COPY from an in-memory CSV: one round trip per chunk, not per row."""
    names = ", ".join(n for n, _ in columns)
    create = f"CREATE TEMPORARY TABLE {table} ({', '.join(f'{n} {t}' for n, t in columns)})"
    copy = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)"
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # nosec B608
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(create)
    for start in range(0, len(rows), STAGE_CHUNK):
        chunk = rows[start : start + STAGE_CHUNK]
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            # Every value quoted: an empty text is then '' (unquoted empty is NULL in COPY).
            csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(chunk)
            buffer.seek(0)
            cursor.copy_expert(copy, buffer)
        else:
            cursor.executemany(insert, chunk)
        if progress is not None:
            progress.advance("escritas", len(chunk))
    if connection.vendor == "postgresql":
        # A temporary table has no statistics until analysed: the joins below need them.
        cursor.execute(f"ANALYZE {table}")


def differs(left: str, right: str, columns: list[str]) -> str:
    """SQL that is true when the `columns` of `left` and `right` differ (NULL-aware)."""
    return (
        f"({', '.join(f'{left}.{c}' for c in columns)}) IS DISTINCT FROM "
        f"({', '.join(f'{right}.{c}' for c in columns)})"
    )


def check_references_now(cursor: CursorWrapper) -> None:
    """Run now the foreign-key checks PostgreSQL would run at the commit (Django makes them
    deferred): after the last statement that locks rows others write, the commit is quick."""
    # Only in a transaction of our own: inside a caller's the setting would outlive us.
    if connection.vendor == "postgresql" and len(connection.savepoint_ids) == 0:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@dataclass(frozen=True)
class Target:
    """Where `upsert` writes: `table` by its unique `key`, from `source` (a FROM clause whose
    rows are aliased `s`), each column of `values` from its SQL expression."""

    table: str
    key: str
    source: str
    values: dict[str, str]
    stamp: str | None = "imported_at"  # the column set to now() on every row written


def upsert(
    cursor: CursorWrapper, target: Target, *, rows: Literal["new", "changed", "all"] = "all"
) -> set[int]:
    """Write `target`'s rows in one statement: `rows` "new" (missing from the table),
    "changed" (present, some values differ) or "all" of both. Rows already equal are neither
    written nor locked. Returns the ids written."""
    table, key, source, values, stamp = (
        target.table, target.key, target.source, target.values, target.stamp
    )  # fmt: skip
    columns = list(values)
    stamped = [*columns, stamp] if stamp else columns
    expressions = ", ".join(f"{e} AS {c}" for c, e in values.items())
    changed = differs("cur", "incoming", columns)
    # Changed rows only, twice: the SELECT leaves equal rows out (so they are not locked),
    # and the conflict's WHERE skips a row that became equal meanwhile.
    wanted = {
        "new": "cur.id IS NULL",
        "changed": f"cur.id IS NOT NULL AND {changed}",
        "all": f"cur.id IS NULL OR {changed}",
    }[rows]
    write = (
        f"INSERT INTO {table} AS t ({key}, {', '.join(stamped)}) "  # nosec B608
        f"SELECT incoming.{key}, {', '.join(f'incoming.{c}' for c in columns)}"
        f"{', %s' if stamp else ''} "
        f"FROM (SELECT s.{key} AS {key}, {expressions} FROM {source}) incoming "
        f"LEFT JOIN {table} cur ON cur.{key} = incoming.{key} WHERE {wanted} "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in stamped)
        + f" WHERE {differs('t', 'EXCLUDED', columns)} RETURNING id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    cursor.execute(write, [now] if stamp else None)
    return {row[0] for row in cursor.fetchall()}
