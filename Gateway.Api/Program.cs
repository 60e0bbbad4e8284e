using Gateway.Api.Auth;
using Gateway.Api.Configuration;
using Gateway.Api.Diagnostics;
using Gateway.Api.Endpoints.Iq;
using Gateway.Api.Endpoints.Messages;
using Gateway.Api.Endpoints.Presence;
using Gateway.Api.Endpoints.Roster;
using Gateway.Api.Endpoints.Sessions;
using Gateway.Api.Endpoints.Stanzas;
using Gateway.Api.Errors;
using Gateway.Api.Health;
using Gateway.Api.Hosting;
using Gateway.Api.Hubs;
using Gateway.Api.OpenApi;
using Gateway.Api.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddSecretSafeFilters();
builder.Services
    .AddGatewayOptions()
    .AddGatewayPersistence(builder.Configuration)
    .AddGatewaySessionPool()
    .AddApiKeyAuthentication()
    .AddGatewayErrorHandling()
    .AddGatewayHealthChecks()
    .AddGatewayOpenApi()
    .AddGatewayHub();

var app = builder.Build();
app.UseGatewayErrorHandling();
app.UseGatewayOpenApi();
// The demo page (wwwroot) is public; it asks for an API key and keeps it in memory only.
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();

app.MapGatewayHealth();
app.MapGroup(SessionsApi.BasePath)
    .RequireAuthorization()
    .MapSessions()
    .MapMessages()
    .MapPresence()
    .MapIq()
    .MapRoster()
    .MapStanzas();
app.MapGatewayHub();

app.Run();

/// <summary>Entry point; public so WebApplicationFactory can host it in tests.</summary>
public partial class Program;
