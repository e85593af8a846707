"""`make screenshots` (scripts/screenshots.py): a real run on two screens writes PNGs of the
asked widths, walking the embedded default in a folder of its own."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from tests.helpers import ROOT, fresh_env

pytestmark = pytest.mark.browser


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_script_saves_each_screen_at_360_and_1280(tmp_path):
    out = tmp_path / "img"
    done = subprocess.run(
        [sys.executable, "scripts/screenshots.py", "--out", str(out), "--only", "home,agent-1"],
        cwd=ROOT,
        env=fresh_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "agent-1-errors-1280.png",
        "agent-1-errors-360.png",
        "home-1280.png",
        "home-360.png",
    ]
    for name in names:
        width, height = png_size((out / name).read_bytes())
        assert width == int(name.rsplit("-", 1)[1].removesuffix(".png")), name
        assert height >= 600, name  # a whole page, not a strip
