# syntax=docker/dockerfile:1
# One image with every Tension binary (ingest, enricher, sink, query, ...), built by `make build` exactly as
# on a developer machine; docker-compose.yml runs each service from it with a different command.
#
#   docker build -t tension:local .
#   docker run --rm tension:local /usr/local/bin/enricher tag < articles.jsonl
#
# Only the Go sources are copied (not .local/, where the local platform keeps gigabytes of Kafka and
# ClickHouse data), so the build context BuildKit transfers stays small.

ARG GO_VERSION=1.27.3

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Static binaries: the runtime image has no libc.
ENV CGO_ENABLED=0 GOFLAGS=-trimpath GOTOOLCHAIN=go1.27.3
# Every directory holding a module of go.work (the one module list; `make build` reads it), the
# committed dashboard build included (services/query/internal/web/dist; no npm here).
COPY go.work go.work.sum* Makefile ./
COPY pkg/ pkg/
COPY schemas/ schemas/
COPY services/ services/
COPY e2e/ e2e/
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    make build && ls -l bin/

# distroless/static: CA certificates (feed pollers fetch over HTTPS) and tzdata, no shell, non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/ /usr/local/bin/
USER nonroot:nonroot
# The services listen on 127.0.0.1 by default; docker-compose.yml sets *_ADDR=0.0.0.0:port so that other
# containers and published ports can reach them.
EXPOSE 8080 8081 8082 8083
CMD ["/usr/local/bin/ingest"]
