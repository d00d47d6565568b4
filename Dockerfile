# syntax=docker/dockerfile:1
# Build: docker build -t wxbind .
# (Not built on our development machines, which have no Docker engine; see docs.)

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (SQLite included), so the binary is static and runs on a distroless base.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/server ./cmd/server \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /usr/local/bin/server
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV HTTP_ADDR=:8080 \
    DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/server"]
CMD ["serve"]
