# The gateway as a container. Built and run by docker-compose.yml; not used by the tests.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Gateway.Api/Gateway.Api.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# The store (sessions, event journal, outbox) and its Data Protection key ring: outside /app, which the app user
# cannot write, in a directory meant for a volume, so they outlive the container.
RUN mkdir -p /data && chown app:app /data
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Gateway__Storage__Path=/data/gateway.db \
    Gateway__Storage__KeysPath=/data/keys
VOLUME /data
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "Gateway.Api.dll"]
