# The viewer as a service: gunicorn with threaded workers (each websocket holds a thread),
# run from an installed wheel as a non-root user. No test or demo-only dependencies: moto is
# only in the `embedded` extra, so the image always watches real queues (set VIEWER_QUEUES or
# HMPPS_SQS_QUEUES_*). tests/test_wheel.py runs this CMD from a fresh venv.

FROM python:3.12-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md ./
COPY viewer viewer
COPY schema schema
COPY static static
COPY templates templates
RUN python -m build --wheel --outdir /dist .

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    VIEWER_LOG_FORMAT=json
RUN groupadd --system --gid 2000 viewer \
 && useradd --system --uid 2000 --gid viewer --no-create-home --shell /usr/sbin/nologin viewer
COPY --from=build /dist/*.whl /tmp/
RUN pip install /tmp/*.whl && rm /tmp/*.whl
USER 2000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/health/ping', timeout=4).status != 200)"]
# One worker: every replica consumes its share of the queue and serves its own clients;
# scale with replicas, not workers. Extra gunicorn flags: GUNICORN_CMD_ARGS.
CMD ["gunicorn", "--worker-class", "gthread", "--workers", "1", "--threads", "32", "--bind", "0.0.0.0:8080", "--graceful-timeout", "20", "--timeout", "60", "viewer.wsgi:app"]
