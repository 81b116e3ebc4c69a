# switchyard-data-plane: inference API :8080 (HTTP/1.1 and h2c), admin :9901 (health,
# metrics, config). Built with the same steps as
# `make run` (`make build-run`), on Debian 12's own packages.
#   docker build -f deploy/docker/data-plane.Dockerfile -t switchyard/data-plane .
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deps-system && make build-run BUILD_TYPE=Release

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libgrpc++1.51 libprotobuf32 libabsl20220623 libssl3 libcurl4 \
      libnghttp2-14 libsimdjson14 libhiredis0.14 libboost-url1.81.0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin switchyard
COPY --from=build /src/build/bin/switchyard-data-plane /usr/local/bin/switchyard-data-plane
USER 10001
EXPOSE 8080 9901
ENTRYPOINT ["/usr/local/bin/switchyard-data-plane"]
CMD ["--http-listen=0.0.0.0:8080", "--admin-listen=0.0.0.0:9901"]
