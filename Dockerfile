# The gpufleet control plane as a container image, built from the `npm pack` tarball.
# Build it with scripts/build-image.sh (docs/install.md, "Container image"): the build context is
# a directory holding this file and gpufleet-*.tgz, nothing else of the checkout.
#
#   scripts/build-image.sh                          # FROM debian:bookworm-slim (a registry)
#   scripts/build-image.sh --debootstrap            # FROM a Debian 12 base made here with mmdebstrap
#
# BASE: any Debian 12 (bookworm) image. The install stage needs apt and the npm registry.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS install
# Debian's npm only installs the tarball: the package itself depends on `node@24` (the npm package,
# an optional dependency that this stage, with the registry, installs and checks below), so
# gpufleet runs on that Node 24, never on Debian's Node 18.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# build-ca.pem: CA certificates npm trusts while installing (a TLS-inspecting proxy's), empty for
# none; only this stage sees it.
COPY gpufleet-*.tgz build-ca.pem /tmp/
# The tarball bundles the other dependencies; its npm-shrinkwrap.json pins the tested tree.
RUN if [ -s /tmp/build-ca.pem ]; then export NPM_CONFIG_CAFILE=/tmp/build-ca.pem; fi \
 && npm install -g --no-audit --no-fund --prefix /usr/local /tmp/gpufleet-*.tgz \
 && test -x /usr/local/lib/node_modules/gpufleet/node_modules/node/bin/node \
 && npm cache clean --force

FROM ${BASE}
# The installed package (with its pinned Node 24) and nothing of npm or Debian's Node.
COPY --from=install /usr/local/lib/node_modules/gpufleet /usr/local/lib/node_modules/gpufleet
RUN ln -s /usr/local/lib/node_modules/gpufleet/node_modules/node/bin/node /usr/local/bin/node \
 && ln -s /usr/local/lib/node_modules/gpufleet/bin/gpufleet /usr/local/bin/gpufleet \
 && useradd --uid 10001 --user-group --no-create-home --home-dir /var/lib/gpufleet --shell /usr/sbin/nologin gpufleet \
 && install -d -o gpufleet -g gpufleet -m 0750 /var/lib/gpufleet

# The SQLite database (and nothing else) lives in the volume; GPUFLEET_DB=postgres://… uses PostgreSQL instead.
VOLUME /var/lib/gpufleet
WORKDIR /var/lib/gpufleet
ENV GPUFLEET_LISTEN=0.0.0.0:8080 \
    GPUFLEET_DB=/var/lib/gpufleet/gpufleet.db \
    NODE_COMPILE_CACHE=/tmp/gpufleet-compile-cache
EXPOSE 8080
USER gpufleet

# GET /healthz on the port GPUFLEET_LISTEN names (HTTPS when GPUFLEET_TLS_CERT is set; the
# certificate is the server's own, so it is not verified here). Docker-format images only.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const tls = !!process.env.GPUFLEET_TLS_CERT; const port = (process.env.GPUFLEET_LISTEN || '').split(':').pop() || '8080'; require(tls ? 'node:https' : 'node:http').get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 4000 }, r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]

ENTRYPOINT ["gpufleet"]
CMD ["control-plane"]
