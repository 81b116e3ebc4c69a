# switchyard-control-plane: REST admin API :8081 (and the web console at /), gRPC admin +
# distribution API :50051; with the `switchyard` command-line client beside it.
# Built with the same steps as `make run` (`make build-run`), on Debian 12's own packages.
#   docker build -f deploy/docker/control-plane.Dockerfile -t switchyard/control-plane .
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deps-system && make build-run BUILD_TYPE=Release

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libgrpc++1.51 libprotobuf32 libabsl20220623 libpqxx-6.4 libssl3 \
      libboost-url1.81.0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin switchyard
COPY --from=build /src/build/bin/switchyard-control-plane /usr/local/bin/switchyard-control-plane
COPY --from=build /src/build/bin/switchyard /usr/local/bin/switchyard
USER 10001
EXPOSE 8081 50051
ENTRYPOINT ["/usr/local/bin/switchyard-control-plane"]
CMD ["--http-listen=0.0.0.0:8081", "--grpc-listen=0.0.0.0:50051"]
