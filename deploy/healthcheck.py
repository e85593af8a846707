"""The web container's healthcheck: GET /salud/vivo/ on this container's gunicorn.

Sent as the proxy would send it (a host from DJANGO_ALLOWED_HOSTS, X-Forwarded-Proto:
https), else Django answers 400 (unknown host) or 301 (the HTTPS redirect) and a healthy
process would look dead. Exit 0 when the answer is 200, 1 otherwise.
"""

import os
import sys
import urllib.request

port = os.environ.get("PORT", "8000")
hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
host = (hosts[0] if hosts else "localhost").lstrip(".").replace("*", "localhost")
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/salud/vivo/",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed http URL
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(f"salud/vivo/: {error}", file=sys.stderr)
    sys.exit(1)
