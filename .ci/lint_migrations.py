"""`make lint`'s migration linter: django-migration-linter on the SQL PostgreSQL would run.

`sqlmigrate` (which the linter reads) needs a live connection, so a throwaway PostgreSQL server
runs for the few seconds it takes (tests/services.py's, as root under the `postgres` user).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import Postgres  # noqa: E402


def main() -> int:
    """Lint every migration of our apps; the linter's exit status (1: an incompatible one)."""
    with tempfile.TemporaryDirectory(prefix="alta-lint-") as root:
        postgres = Postgres(Path(root))
        postgres.init()
        try:
            env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
            env.update(
                PYTHONPATH=str(ROOT / ".ci"),
                DJANGO_SETTINGS_MODULE="lint_settings",
                LINT_DATABASE_URL=f"postgres://postgres@127.0.0.1:{postgres.port}/postgres",
                LOG_LEVEL="WARNING",  # the linter logs a line per migration at INFO
            )
            # Only errors fail and print: its warnings (an index locks the table) are advice.
            quiet = ["--quiet", "ok", "ignore", "warning"]
            command = [sys.executable, "manage.py", "lintmigrations", *quiet]
            # Our own interpreter and manage.py, with the arguments `make lint` passed.
            return subprocess.run([*command, *sys.argv[1:]], cwd=ROOT, env=env).returncode  # noqa: S603
        finally:
            postgres.stop("immediate")


if __name__ == "__main__":
    sys.exit(main())
