# Tessera: release binary on Debian bookworm-slim, running as uid 10001.
#
#   docker build -t tessera .
#   docker run -p 8080:8080 -v tessera-data:/var/lib/tessera \
#     -e TESSERA_PUBLIC_URL=http://localhost:8080 tessera
#
# Set TESSERA_PUBLIC_URL: without it issuer URLs are built from the listen address (0.0.0.0).
# For PostgreSQL, set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB.
# Without TESSERA_ADMIN_TOKEN the first start prints the generated admin token once (docker logs).
# `docker run tessera migrate` and `docker run tessera rotate-admin-token` run the subcommands.
#
# No HEALTHCHECK: this image carries no HTTP client. Point your orchestrator's HTTP probes at
# GET /healthz (liveness: the process is up) and GET /readyz (readiness: the database answers).

FROM rust:1-bookworm AS builder
WORKDIR /build
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
# The Go template engine: a workspace member that tessera depends on.
COPY crates/gotemplate/Cargo.toml ./crates/gotemplate/
COPY crates/gotemplate/src ./crates/gotemplate/src
# The test target is declared in Cargo.toml; cargo expects its file to exist.
COPY tests ./tests
# Embedded at compile time: sqlx::migrate! reads migrations/, include_str! reads openapi.yaml.
COPY migrations ./migrations
COPY openapi.yaml ./
RUN cargo build --release --locked --bin tessera

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 tessera \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/tessera --no-create-home \
        --shell /usr/sbin/nologin tessera \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/tessera
COPY --from=builder /build/target/release/tessera /usr/local/bin/tessera
WORKDIR /var/lib/tessera
ENV TESSERA_LISTEN=0.0.0.0:8080 \
    DATABASE_URL="sqlite:///var/lib/tessera/tessera.db?mode=rwc"
EXPOSE 8080
USER 10001
ENTRYPOINT ["/usr/local/bin/tessera"]
CMD ["serve"]
