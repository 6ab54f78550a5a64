# syntax=docker/dockerfile:1
# Raadzaam: a static, cgo-free binary in a small image that runs as a
# non-root user. The SQLite default keeps its data on the volume at /data;
# production uses PostgreSQL through DATABASE_URL.

FROM golang:1.26-bookworm AS build
# The toolchain that builds production: Go 1.26.8's standard library has
# advisories that Go 1.27.3 fixes. The go command fetches it from the module
# proxy; the module itself stays at go 1.26. .ci/run reads this line and
# runs govulncheck with the same toolchain, so keep it in this form.
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/raadzaam ./app

FROM alpine:3.22
# su-exec drops root after the entrypoint has made the volume writable;
# ca-certificates for TLS to PostgreSQL and SMTP.
RUN apk add --no-cache ca-certificates su-exec \
 && addgroup -S -g 10001 raadzaam && adduser -S -D -H -u 10001 -G raadzaam raadzaam \
 && mkdir -p /data && chown raadzaam:raadzaam /data
COPY --from=build /out/raadzaam /usr/local/bin/raadzaam
COPY <<'SH' /usr/local/bin/entrypoint
#!/bin/sh
# A fresh Fly volume is owned by root: hand it to the service user, then run
# Raadzaam as that user, never as root.
set -e
if [ "$(id -u)" = 0 ]; then
  chown raadzaam:raadzaam "${RAADZAAM_DATA:-/data}"
  exec su-exec raadzaam raadzaam "$@"
fi
exec raadzaam "$@"
SH
RUN chmod 0755 /usr/local/bin/entrypoint
ENV PORT=8080 RAADZAAM_DATA=/data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/entrypoint"]
CMD ["serve"]
