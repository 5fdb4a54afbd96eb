# syntax=docker/dockerfile:1
# Slipway itself: one static binary (CGO_ENABLED=0: SQLite is modernc's pure
# Go driver) on a distroless base that carries git, run as a non-root user.
#
#   docker build --build-arg VERSION=1.4.0 -t slipway .
#   docker run --rm slipway --version
#
# Slipway drives git for fetches and pushes of the GitOps repository, so the
# base image must have git: Chainguard's git image is distroless (no shell,
# no package manager) and runs as uid 65532. Mount the configuration at
# /etc/slipway and the state (the SQLite store and the GitOps clone) at
# /var/lib/slipway.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE" \
      -o /out/slipway ./cmd/slipway

FROM cgr.dev/chainguard/git:latest
COPY --from=build /out/slipway /usr/bin/slipway
# HOME must be writable: git keeps its lock and config files there.
ENV HOME=/var/lib/slipway
WORKDIR /var/lib/slipway
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/bin/slipway"]
CMD ["--config", "/etc/slipway/slipway.yaml", "--state", "/var/lib/slipway", "serve", "--listen", "0.0.0.0:8080", "--insecure-http"]
