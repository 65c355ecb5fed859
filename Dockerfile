FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY scheduler scheduler
COPY storage storage
RUN pip install --no-cache-dir . && useradd --create-home los \
    && mkdir -p /var/lib/los/spool && chown los /var/lib/los/spool
# Texts the database could not take wait here: keep it on a volume (docker-compose.yml).
ENV LOS_SPOOL_PATH=/var/lib/los/spool/inbound.jsonl
USER los
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["los", "serve"]
