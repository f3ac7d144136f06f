# The matchmaker service: `docker compose up` runs it on PostgreSQL with several workers.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY api ./api
COPY matchmaker ./matchmaker
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-cache-dir .
# The saved matching index (compose.yaml mounts a volume here): a new named volume takes
# this folder's owner, so the unprivileged service can write it.
RUN useradd --system --create-home matchmaker \
    && mkdir -p /var/lib/matchmaker/index \
    && chown matchmaker /var/lib/matchmaker/index
USER matchmaker
EXPOSE 8000
CMD ["matchmaker", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
