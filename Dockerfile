# effinity in a container: the fake Stripe, the EFFINITY app and the scenario runner.
#   docker build -t effinity .
#   docker run --rm -p 12111:12111 effinity stripe --host 0.0.0.0
#   docker run --rm -v "$PWD:/work" -w /work effinity scenarios run --junit reports/scenarios.xml
# Build stage: the Swift toolchain; runtime stage: Debian with only the system libraries the
# statically linked Swift binary needs.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product effinity \
 && cp "$(swift build -c release --show-bin-path)/effinity" /usr/local/bin/effinity \
 && strip /usr/local/bin/effinity

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libssl3 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/* && useradd --create-home effinity
COPY --from=build /usr/local/bin/effinity /usr/local/bin/effinity
COPY scenarios /opt/effinity/scenarios
COPY goldens /opt/effinity/goldens
USER effinity
WORKDIR /opt/effinity
EXPOSE 12111 8080
ENTRYPOINT ["effinity"]
CMD ["stripe", "--host", "0.0.0.0"]
