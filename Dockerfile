# syntax=docker/dockerfile:1
# certsync: a static binary on a distroless base, running as non-root.
#   make docker                      (docker build --build-arg VERSION=<git describe> -t certsync:<version> .)
#   docker run --rm -v $PWD:/config:ro -v certsync-state:/state certsync:<version>            # plans
#   docker run --rm ... certsync:<version> apply --auto-approve                              # applies
FROM golang:1.26 AS build
# The module proxy comes from the builder's environment (make docker passes
# `go env GOPROXY`); unset, Go uses its own default.
ARG GOPROXY
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION is what `certsync version` reports; make docker passes git describe.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/certsync/certsync/internal/cli.Version=${VERSION}" \
      -o /out/certsync ./cmd/certsync

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/certsync /usr/local/bin/certsync
# The inventory is mounted read-only at /config; state, generated keys and
# issued certificates go to the writable /state volume.
ENV CERTSYNC_INVENTORY=/config/inventory.yaml \
    CERTSYNC_STATE_DIR=/state \
    CERTSYNC_LOG_FORMAT=json
USER 65532:65532
WORKDIR /state
VOLUME ["/state"]
# /metrics and /healthz, when the command is `run --metrics-addr :9090`.
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/certsync"]
# By default the image only plans: it reads the vendors and prints what it
# would change, and never places a paid order. Applying is a choice made where
# the image is run: `apply --auto-approve`, or `run --apply` (see
# deploy/kubernetes/).
CMD ["plan", "-i", "/config/inventory.yaml"]
