using Gateway.Api.Auth;
using Gateway.Api.Cluster;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Api.Configuration;
using Gateway.Api.Diagnostics;
using Gateway.Api.Endpoints.Blocking;
using Gateway.Api.Endpoints.Contacts;
using Gateway.Api.Endpoints.Events;
using Gateway.Api.Endpoints.History;
using Gateway.Api.Endpoints.HubTickets;
using Gateway.Api.Endpoints.Iq;
using Gateway.Api.Endpoints.Messages;
using Gateway.Api.Endpoints.Presence;
using Gateway.Api.Endpoints.Profile;
using Gateway.Api.Endpoints.Roster;
using Gateway.Api.Endpoints.Server;
using Gateway.Api.Endpoints.Rooms;
using Gateway.Api.Endpoints.Sessions;
using Gateway.Api.Endpoints.Stanzas;
using Gateway.Api.Endpoints.Uploads;
using Gateway.Api.Errors;
using Gateway.Api.Events;
using Gateway.Api.Health;
using Gateway.Api.Hosting;
using Gateway.Api.Hubs;
using Gateway.Api.Limits;
using Gateway.Api.OpenApi;
using Gateway.Api.Persistence;
using Gateway.Api.Telemetry;
using Gateway.Api.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddSecretSafeFilters();
builder.Services
    .AddGatewayOptions()
    .AddGatewayPersistence(builder.Configuration)
    .AddGatewaySessionPool()
    .AddApiKeyAuthentication()
    .AddTenantRateLimits()
    .AddLoginBudget()
    .AddGatewayErrorHandling()
    .AddGatewayHealthChecks()
    .AddGatewayOpenApi()
    .AddGatewayHub()
    .AddGatewayEventStreams()
    .AddGatewayWebhooks()
    .AddGatewayHttpExposure()
    .AddGatewayTelemetry(builder.Configuration);
builder.AddGatewayCluster();

var app = builder.Build();
app.UseGatewayHttpExposure();
app.UseGatewayErrorHandling();
app.UseGatewayTelemetry();
// The OpenAPI document, Swagger UI and the demo page (wwwroot, public; it asks for an API key and keeps it in memory
// only) are never under /api or the hub: those requests, nearly all of them, skip the three middlewares.
app.UseWhen(
    context => !context.Request.Path.StartsWithSegments("/api") && !context.Request.Path.StartsWithSegments(GatewayHub.Path),
    site =>
    {
        site.UseGatewayOpenApi();
        site.UseDefaultFiles();
        site.UseStaticFiles();
    });
app.UseAuthentication();
app.UseAuthorization();
app.UseGatewayForwardingMarker();
app.UseTenantRateLimits();
app.UseGatewayClusterForwarding();

app.MapGatewayHealth();
app.MapGroup(SessionsApi.BasePath)
    .RequireAuthorization()
    .WithSessionLogScope()
    .MapSessions()
    .MapMessages()
    .MapPresence()
    .MapIq()
    .MapRoster()
    .MapHistory()
    .MapRooms()
    .MapStanzas()
    .MapContactPresence()
    .MapBlocking()
    .MapVCard()
    .MapAvatar()
    .MapUploads()
    .MapServer()
    .MapEvents();
app.MapHubTickets();
app.MapWebhooks();
app.MapGatewayHub();

app.Run();

/// <summary>Entry point; public so WebApplicationFactory can host it in tests.</summary>
public partial class Program;
