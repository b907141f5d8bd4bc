# The VideoVisit server: API, hub, web app and the embedded STUN/TURN relay in one image.
# Build:  docker build -t videovisit .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/VideoVisit.Web/package.json src/VideoVisit.Web/package-lock.json src/VideoVisit.Web/
RUN cd src/VideoVisit.Web && npm ci --no-audit --no-fund
COPY src/ src/
RUN dotnet publish src/VideoVisit.Server -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    Data__Directory=/data
VOLUME ["/data"]
# HTTP, then STUN/TURN on UDP and TCP, then the relay's port range for allocations.
EXPOSE 8080 3478/udp 3478/tcp 49152-49252/udp
USER app
ENTRYPOINT ["dotnet", "VideoVisit.Server.dll"]
