# Taskloom's one image: the API, the workers, the scheduler and the one-shot migrations all run from it
# (docker-compose.yml picks the command). Build: docker build -t taskloom .
FROM python:3.11-slim

# Debian's Chromium for BROWSER_AUTOMATION and DATA_EXTRACTION: Playwright drives it, nothing is downloaded.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TASKLOOM_CHROMIUM_PATH=/usr/bin/chromium \
    TASKLOOM_ARTIFACTS_DIR=/data/artifacts \
    TASKLOOM_HOST=0.0.0.0 \
    TASKLOOM_PORT=8000

WORKDIR /src
# Dependencies first (their own layer: a code change does not reinstall them), then the project itself.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY api ./api
COPY domain ./domain
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-deps . && rm -rf /src /tmp/requirements.txt

# Never root: files (artifacts) belong to this user; the named volume mounted at /data/artifacts inherits it.
RUN useradd --create-home --uid 10001 taskloom && mkdir -p /data/artifacts && chown -R taskloom:taskloom /data
USER taskloom
WORKDIR /data

EXPOSE 8000
CMD ["taskloom", "serve"]
