using System.Diagnostics.Metrics;
using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api.Observability;

/// <summary>Gateway:Logging:Format=json chooses the JSON console formatter with scopes; session requests log in a Tenant/SessionId scope.</summary>
public sealed class LogFormatTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JsonFormat_ChoosesJsonFormatter_WhichWritesTheSessionScopeAsFields()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Logging:Format"] = "json";
        using var client = app.CreateAlphaClient();

        Assert.Equal(ConsoleFormatterNames.Json, app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        var json = app.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Json);
        var scopes = new LoggerExternalScopeProvider();
        using var writer = new StringWriter();
        using (scopes.Push(new SessionLogScope("alpha", "bot-1")))
        {
            json.Write(new LogEntry<string>(LogLevel.Information, "Gateway.Test", new EventId(6200), "probe", null, (state, _) => state), scopes, writer);
        }

        using var line = JsonDocument.Parse(writer.ToString());
        Assert.Equal("probe", line.RootElement.GetProperty("Message").GetString());
        var scope = Assert.Single(line.RootElement.GetProperty("Scopes").EnumerateArray());
        Assert.Equal(("alpha", "bot-1"), (scope.GetProperty("Tenant").GetString(), scope.GetProperty("SessionId").GetString()));
        Assert.EndsWith("Z", line.RootElement.GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefaultFormat_LeavesTheConfiguredFormatter()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateAlphaClient();

        Assert.NotEqual(ConsoleFormatterNames.Json, app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }

    [Fact]
    public async Task Startup_UnknownFormat_FailsNamingTheSetting()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Logging:Format"] = "xml";

        var failure = Assert.Throws<OptionsValidationException>(() => app.CreateClient());

        Assert.Contains("Gateway:Logging:Format", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendToSession_WhatThePoolLogsCarriesTenantAndSession_AndOnlyAcceptedSendsAreCounted()
    {
        var pool = new FakeSessionPool();
        var session = pool.Add(GatewayApiFactory.AlphaTenant, "bot-1");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateAlphaClient();
        var probe = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Tests.Probe");
        session.EnqueueFailure = (stanza, _) =>
        {
            // Logged where the pool would log: inside the request, below the endpoint.
            probe.LogInformation("probe {StanzaId}", stanza.Id);
            return null;
        };
        using var accepted = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "Gateway.Api", "gateway.api.sends.accepted");

        var sent = await client.PostJsonAsync("/api/v1/sessions/bot-1/messages", new PostMessageRequest { To = "peer@example.com", Body = "hi" });
        await sent.ReadAsync<StanzaAcceptedDto>(202);
        var invalid = await client.PostJsonAsync("/api/v1/sessions/bot-1/messages", new PostMessageRequest { To = "not a jid@", Body = "hi" });
        await invalid.ProblemAsync(400, "validation-failed");

        var line = Assert.Single(app.Logs.Entries, e => e.Category == "Gateway.Tests.Probe");
        Assert.Contains("Tenant:alpha SessionId:bot-1", line.State, StringComparison.Ordinal);
        var measurement = Assert.Single(accepted.GetMeasurementSnapshot());
        Assert.Equal("message", measurement.Tags["endpoint"]);
    }
}
