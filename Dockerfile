# The full mode's image (docker-compose.yml): web, worker, beat and migrate run the same code.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# .dockerignore keeps .venv, var/ (secret key, SQLite, dev mail), .git and caches out.
# flite speaks the captcha's characters ("Escuchar los caracteres"); without it that link is
# not offered (CAPTCHA_FLITE_PATH).
RUN apt-get update && apt-get install -y --no-install-recommends flite \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install --no-cache-dir .
# Our translation catalogues (locale/*/LC_MESSAGES/django.po), compiled with Babel as
# `make install` does.
RUN pybabel -q compile -d locale -D django
# Static files collected at build time, hashed (cacheable for ever) and gzipped (WhiteNoise's
# CompressedManifestStaticFilesStorage, DJANGO_STATIC_MANIFEST's production default). The
# values here only let the settings load: nothing at build time uses a database or a key,
# nor sends mail (ALLOW_MAIL_CATCHER=1: no EMAIL_HOST, which production requires, here), nor
# builds a link (PORTAL_BASE_URL, required too, is the running container's).
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=build \
    PORTAL_BASE_URL=https://build ALLOW_MAIL_CATCHER=1 DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    PRIVACY_RESPONSIBLE_NAME=build PRIVACY_RESPONSIBLE_ADDRESS=build PRIVACY_CONTACT_EMAIL=build@build \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3
# Not root: the code and static files stay root's and read-only to the app; only var/ is its.
# A fixed numeric UID: Kubernetes' runAsNonRoot can only check a number (deploy/k8s uses it).
RUN useradd --system --no-create-home --uid 10001 alta && mkdir -p /app/var && chown alta /app/var
USER 10001
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
