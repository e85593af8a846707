"""`make lint`'s dependency audit: run pip-audit and judge by what it could actually see.

pip-audit exits 1 for a vulnerability and for a network error alike, and exits 0 ("No known
vulnerabilities found") when its data source answers "not found" for every package, as a
proxy without PyPI's JSON API does. Here a known vulnerability fails lint; a machine that
cannot reach the advisory data says so and passes, so linting works offline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

OFFLINE = "pip-audit: sin acceso a su base de datos; omitido"
NETWORK_ERRORS = ("ConnectionError", "NameResolution", "Max retries", "Timeout", "SSLError")


def judge(report: dict | None, stderr: str = "") -> tuple[int, str]:
    """Exit status and message for a pip-audit JSON report (None: pip-audit wrote none)."""
    if report is None:
        if any(marker in stderr for marker in NETWORK_ERRORS):
            return 0, f"{OFFLINE} (sin red)"
        return 1, f"pip-audit falló:\n{stderr}"
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d['version']}: {v['id']} (corregido en: "
            f"{', '.join(v.get('fix_versions') or ['—'])})"
            for d in vulnerable
            for v in d["vulns"]
        ]
        return 1, "pip-audit: vulnerabilidades conocidas:\n" + "\n".join(lines)
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return 0, f"{OFFLINE} (ningún paquete encontrado en su base de datos)"
    return 0, f"pip-audit: {len(audited)} paquetes auditados, sin vulnerabilidades conocidas"


def main() -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "pip-audit.json"
        command = [str(pip_audit), "--progress-spinner", "off", "--skip-editable"]
        command += ["--format", "json", "--output", str(output)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        text = output.read_text() if output.exists() else ""
    report = json.loads(text) if text.strip() else None
    status, message = judge(report, result.stderr)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main())
