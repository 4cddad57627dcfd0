# syntax=docker/dockerfile:1
# certsync: a static binary on a distroless base, running as non-root.
#   docker build -t certsync .          (or: make docker)
#   docker run --rm -v $PWD:/config:ro -v certsync-state:/state certsync validate
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
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
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/certsync"]
CMD ["run", "--schedule", "0 */6 * * *", "--apply", "--metrics-addr", ":9090"]
