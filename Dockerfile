# Seedbed's application image: the Django web app (gunicorn), Celery worker and Celery beat all run
# from it; docker-compose.yml picks the command. See docs/operations.md.
# Stage 1: the web front end (Vue 3 + Vite), built once; only its dist/ goes into the app image.
FROM node:20-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json frontend/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# Stage 2: the application image.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SEEDBED_VAR_DIR=/app/var \
    DJANGO_SETTINGS_MODULE=config.settings_production

# An unprivileged user owns only what the app writes: var/ (static files, media).
RUN groupadd --system seedbed && useradd --system --gid seedbed --home-dir /app --no-create-home seedbed

# PostgreSQL's client tools for `manage.py backup` / `restore` (pg_dump, pg_restore, psql). They must be
# at least as new as the server: Debian 12's are version 15, the version of docker-compose.yml's server.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt /app/requirements.txt
# Pinned versions with wheels for every package: no compiler needed. Bytecode compiled now saves
# every process that much at start-up.
RUN pip install --compile -r /app/requirements.txt

COPY backend/ /app/backend/
# settings map frontend/dist to /static/app/; collectstatic below copies it into the static files.
COPY --from=frontend /build/frontend/dist /app/frontend/dist
COPY deploy/release.sh /app/deploy/release.sh

WORKDIR /app/backend
# Static files are collected at build so a broken static file fails the build, and so whitenoise
# can serve them from the image if nginx is bypassed. Settings need a database URL and a secret to
# load, so collectstatic gets build-only ones here (nothing connects to the database); the real
# values come from the environment at run time. docker-compose's migrate service collects again
# into the volume nginx serves.
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgresql://build@build.invalid:5432/build \
    python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var/media /app/var/backups \
    && chown -R seedbed:seedbed /app/var

USER seedbed
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--no-control-socket", \
     "--access-logfile", "-", "--timeout", "120", "--forwarded-allow-ips", "*"]
