# syntax=docker/dockerfile:1
# orderd: one static binary on a distroless base, run as a non-root user.
#   docker build -t orderlog/orderd .
#   docker run --rm orderlog/orderd --help
# Settings are ORDERLOG_* variables or flags (docs/operations.md).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /orderd ./cmd/orderd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /orderd /usr/local/bin/orderd
# In a container the listeners must not be on loopback only.
ENV ORDERLOG_HTTP_ADDR=0.0.0.0:9090 \
    ORDERLOG_API_ADDR=0.0.0.0:8080
# 8080: the HTTP API (api role); 9090: /metrics, /healthz, /readyz.
EXPOSE 8080 9090
# distroless :nonroot is uid/gid 65532.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/orderd"]
