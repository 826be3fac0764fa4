# onestop in a container: `docker build -t onestop .`, then `docker run -p 8080:8080 onestop`
# (SQLite in the volume /var/lib/onestop, the in-process sandbox registries), or
# `docker compose up` for two instances behind one port with PostgreSQL (compose.yaml).
# docs/operations.md#containers says what each part is for.

# The builder: the Rust the project is built and tested with (1.95; Cargo.toml's rust-version
# is the oldest that builds it), on the same Debian release as the runtime stage, so that the
# binary links against the glibc it runs with.
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# The dependencies first, built against empty sources: this layer is kept while Cargo.toml,
# Cargo.lock and .cargo/config.toml stay the same, so a change to onestop's code rebuilds
# onestop alone (the benchmarks stay empty: only the server is built). --locked: exactly the
# versions of Cargo.lock, or the build fails.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
RUN mkdir -p src/bin/onestop-bench benches \
    && echo 'fn main() {}' > src/main.rs \
    && cp src/main.rs src/bin/onestop-bench/main.rs \
    && cp src/main.rs benches/receipt.rs \
    && cp src/main.rs benches/micro.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --bin onestop \
    && rm -rf src

# What the build embeds (include_str!/include_bytes!, the Fluent catalogues, sqlx's migrations):
# the pages' templates and assets, the fonts, the texts, the migrations, and the birth example
# the API contract shows.
COPY src src
COPY assets assets
COPY locales locales
COPY templates templates
COPY migrations migrations
COPY bundles/examples/birth.json bundles/examples/birth.json
# The stubs' build is newer than the copied sources: touch them so cargo builds onestop again.
RUN touch src/lib.rs src/main.rs \
    && cargo build --release --locked --bin onestop \
    && cp target/release/onestop /usr/local/bin/onestop

# The runtime: the binary, the definitions `serve` reads from disk, CA certificates (registries
# and an identity provider over HTTPS are checked against the system's roots), nothing else.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/onestop \
    && chown 10001:10001 /var/lib/onestop

COPY --from=builder /usr/local/bin/onestop /usr/local/bin/onestop
# The definitions (setting definitions.root): life events, services, forms, receipt texts.
# Read-only for the server: they belong to root, the server runs as 10001.
WORKDIR /srv/onestop
COPY bundles bundles
COPY services services
COPY forms forms
COPY receipts receipts

# A numeric user, so that a platform that refuses root images (Kubernetes' runAsNonRoot) can
# tell without reading /etc/passwd.
USER 10001:10001
ENV ONESTOP__SERVER__BIND=0.0.0.0:8080 \
    ONESTOP__DATABASE__URL=sqlite:///var/lib/onestop/onestop.db \
    ONESTOP__DEFINITIONS__ROOT=/srv/onestop
VOLUME /var/lib/onestop
EXPOSE 8080

# Ready: the database reachable and migrated, the writer and the dispatcher running. The image
# has no curl or wget: bash (in every Debian image) speaks the few bytes of HTTP through
# /dev/tcp, to the port of ONESTOP__SERVER__BIND.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${ONESTOP__SERVER__BIND##*:} && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/usr/local/bin/onestop"]
CMD ["serve"]
