# Los: one image for the web and worker processes. Build: `docker build -t los .`
# The base is pinned by digest (python:3.11-slim-bookworm); refresh it deliberately with
# `docker buildx imagetools inspect python:3.11-slim-bookworm` and update the digest here.
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A system user that owns nothing but the data volume.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin los \
    && mkdir -p /data/spool && chown -R los:los /data && chmod 0700 /data

WORKDIR /app
# Dependencies from the hashed lock first (a layer that changes only when the lock does).
COPY requirements-prod.lock ./
RUN pip install --require-hashes -r requirements-prod.lock
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY scheduler scheduler
COPY storage storage
RUN pip install --no-deps . && rm -rf build

# SQLite (the default) and its nightly backups live on the data volume; so does the spool, where
# texts wait when the database cannot take them (it must outlive the container).
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite+aiosqlite:////data/los.db \
    LOS_BACKUP_DIR=/data/backups \
    LOS_SPOOL_PATH=/data/spool/inbound.jsonl
VOLUME ["/data"]
USER los
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4)"]
CMD ["los", "serve"]
