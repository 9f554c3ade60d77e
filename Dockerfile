# syntax=docker/dockerfile:1
#
# The lineage API: `lineage serve` on 0.0.0.0:5000 as an unprivileged user.
#
#   docker build -t ghcr.io/lineage-graph/lineage:0.1.0 \
#     --build-arg REVISION="$(git rev-parse HEAD)" --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# The assets stage installs the browser libraries the explorer and GraphiQL load
# (package-lock.json pins them); the build stage installs the package (runtime
# dependencies only, plus any optional extras named in EXTRAS, e.g.
# --build-arg EXTRAS=spark) into a virtual environment; the final stage is a fresh
# slim Python with both copied in, so no compiler, npm, pip cache or source tree
# ships in the image.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS assets
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/lineage
COPY pyproject.toml README.md ./
COPY lineage ./lineage
ARG EXTRAS=""
RUN /opt/lineage/bin/pip install "/src${EXTRAS:+[$EXTRAS]}"

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="lineage" \
      org.opencontainers.image.description="Data and ML lineage from OpenLineage events: ingestion, GraphQL and the lineage explorer over an embedded SQLite graph or JanusGraph." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/lineage-graph/lineage" \
      org.opencontainers.image.url="https://github.com/lineage-graph/lineage" \
      org.opencontainers.image.vendor="lineage-graph"
RUN groupadd --system --gid 10001 lineage \
    && useradd --system --uid 10001 --gid lineage --home-dir /var/lib/lineage --create-home \
       --shell /usr/sbin/nologin lineage
COPY --from=build /opt/lineage /opt/lineage
COPY --from=assets /web/node_modules /opt/lineage-web/node_modules
ENV PATH=/opt/lineage/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LINEAGE_HOST=0.0.0.0 \
    LINEAGE_PORT=5000 \
    LINEAGE_DB=/var/lib/lineage/lineage.db \
    LINEAGE_WEB_ASSETS=/opt/lineage-web/node_modules
USER 10001:10001
WORKDIR /var/lib/lineage
VOLUME ["/var/lib/lineage"]
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["lineage", "healthcheck"]
ENTRYPOINT ["lineage"]
CMD ["serve"]
