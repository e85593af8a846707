"""Sections of docs/benchmarks.md written by the benches other than `make bench`, each between
markers of its own, so that one bench's run rewrites its section and keeps the others'."""

from __future__ import annotations

import re
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- section: {name} -->", f"<!-- /section: {name} -->"


def write_section(name: str, text: str, path: Path = REPORT) -> None:
    """Put `text` (Markdown starting with its own heading) in section `name` of `path`:
    replaced where it is, else added at the end."""
    begin, end = _markers(name)
    block = f"{begin}\n{text.strip()}\n{end}"
    current = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(updated)


def kept_sections(path: Path = REPORT) -> str:
    """Every marked section of `path`, for a bench that rewrites the rest of the file."""
    if not path.exists():
        return ""
    found = re.findall(r"<!-- section: .*? -->.*?<!-- /section: .*? -->", path.read_text(),
                       re.DOTALL)  # fmt: skip
    return "\n\n".join(found)
