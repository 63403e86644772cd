# The records-archive service: `archive serve` (GraphQL) and `archive worker`.
FROM python:3.11-slim

# tesseract with Vietnamese data for OCR, poppler for PDF rendering, DejaVu for samples
# and certificates, the PostgreSQL client tools for archive backup/restore (pg_dump must be at
# least the server's major version). libtesseract-dev, libleptonica-dev, pkg-config and g++
# build tesserocr (OCR in memory) against that same tesseract.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng poppler-utils fonts-dejavu-core \
        postgresql-client libtesseract-dev libleptonica-dev pkg-config g++ \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY archive ./archive
COPY indexing ./indexing
COPY storage ./storage
RUN PIP_NO_BINARY=tesserocr pip install --no-cache-dir .
# fido (PRONOM format identification for AIPs) in a virtualenv of its own: its pinned
# dependencies are not the archive's (indexing/formats/fido.py).
RUN python -m venv /opt/fido-venv && /opt/fido-venv/bin/pip install --no-cache-dir opf-fido==1.6.1

# tesseract's OpenMP threads make OCR several times slower; one process per core instead.
ENV OMP_THREAD_LIMIT=1 \
    PYTHONUNBUFFERED=1 \
    ARCHIVE_FIDO_PYTHON=/opt/fido-venv/bin/python
# Runs unprivileged; ARCHIVE_DATA_DIR is its only writable place (scratch files).
RUN useradd --system --create-home archive \
    && mkdir /data /prometheus && chown archive: /data /prometheus
ENV ARCHIVE_DATA_DIR=/data
USER archive
EXPOSE 8000
# Liveness only: the process answers. Orchestrators should also poll /readyz (every
# dependency and a fresh worker heartbeat) before sending traffic; compose does.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=3)"]
CMD ["archive", "serve", "--host", "0.0.0.0", "--port", "8000"]
