# The ArtMatch server image, built from this repository with the .NET SDK image (Ubuntu 24.04 for
# .NET 10; Microsoft ships no Debian images for it). Used by docker-compose.yml; README "Running with Qdrant".
FROM mcr.microsoft.com/dotnet/sdk:10.0

# What scripts/setup.sh itself needs on this image: python3 (reads the model manifests), curl (the
# model is downloaded from its manifest's url: ../shared is outside the build context). ONNX Runtime
# and libvips come with their NuGet packages when the solution restores.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/artmatch
COPY . .

# The same steps as scripts/test.sh before its tests: setup (poppler-utils, the models of
# models/*.json, sha256-checked; --runtime leaves out the test peers), then the whole solution in Release.
RUN ./scripts/setup.sh --runtime \
 && dotnet build ArtMatch.sln -c Release --nologo -v quiet -clp:ErrorsOnly \
 && rm -rf /var/lib/apt/lists/*

EXPOSE 50051
VOLUME ["/data"]
ENTRYPOINT ["dotnet", "src/ArtMatch.Cli/bin/Release/net10.0/artmatch.dll"]
# Inside a container loopback is unreachable from outside, so it listens on every interface; without
# --keys that needs the loud flag. Publish it on the host's loopback (-p 127.0.0.1:50051:50051), or mount
# a keys file and run: serve --store /data/store --keys /data/keys.json
CMD ["serve", "--store", "/data/store", "--host", "0.0.0.0", "--insecure-no-keys-on-network"]
