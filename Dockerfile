# physconn in a container: `docker build -t physconn .` then
# `docker run -p 8080:8080 -p 8081:8081 -v physconn-data:/data physconn`.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p physconn

FROM debian:bookworm-slim
RUN useradd --system --home /data physconn && mkdir -p /data && chown physconn /data
COPY --from=build /src/target/release/physconn /usr/local/bin/physconn
USER physconn
VOLUME /data
EXPOSE 8080 8081
ENTRYPOINT ["physconn", "serve", "--listen", "0.0.0.0:8080", "--admin-listen", "0.0.0.0:8081", "--data-dir", "/data"]
