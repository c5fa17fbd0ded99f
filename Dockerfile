# syntax=docker/dockerfile:1
# One image for every stockpipe service of deploy/docker-compose.yml.
#
#   docker build -t stockpipe .
#   docker run --rm stockpipe --help
#   docker run --rm -p 127.0.0.1:8080:8080 -e STOCKPIPE_DASHBOARD_TOKEN=$(openssl rand -hex 16) stockpipe
#
# The last target is the runtime image; `--target airflow` builds Apache Airflow with stockpipe on its PATH,
# for the DAG in airflow/dags.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2

FROM ${SWIFT_IMAGE} AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends librdkafka-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The Swift runtime is linked in, so the runtime image needs only librdkafka, SQLite and libstdc++; the cache
# mount keeps the dependencies' build between image builds.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product stockpipe --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/stockpipe" /out/stockpipe \
    && strip /out/stockpipe

FROM ${AIRFLOW_IMAGE} AS airflow
USER root
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends librdkafka1 libsqlite3-0 libstdc++6 tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/stockpipe /usr/local/bin/stockpipe
USER airflow

FROM ${RUNTIME_IMAGE} AS runtime
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends librdkafka1 libsqlite3-0 libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/stockpipe --create-home stockpipe
COPY --from=build /out/stockpipe /usr/local/bin/stockpipe
USER stockpipe
WORKDIR /var/lib/stockpipe
ENV STOCKPIPE_DATA_DIR=/var/lib/stockpipe/data
VOLUME ["/var/lib/stockpipe"]
EXPOSE 8080
# Asks the dashboard's /health (which reads the store); the stage services of the Compose stack check
# their own heartbeat instead (`stockpipe health --stage S`).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["stockpipe", "health"]
ENTRYPOINT ["stockpipe"]
# The whole pipeline on the embedded log and store, the dashboard reachable through a published port
# (which is why it needs STOCKPIPE_DASHBOARD_TOKEN).
CMD ["run", "--host", "0.0.0.0"]
