using System.Diagnostics.Metrics;
using Gateway.Api.Events;
using Gateway.Api.Hubs;

namespace Gateway.Api.Telemetry;

/// <summary>
/// The API's instruments on the meter <see cref="MeterName"/> (names, units and tags in docs/observability.md): hub
/// connections and subscriptions and server-sent event streams (observed when collected, nothing on the hot path) and
/// REST sends accepted.
/// </summary>
public sealed class GatewayApiMetrics
{
    /// <summary>The API's meter; other parts of the API (webhooks) add their instruments to a meter of the same name.</summary>
    public const string MeterName = "Gateway.Api";

    private readonly Counter<long> _sendsAccepted;

    public GatewayApiMetrics(IMeterFactory meterFactory, HubConnectionRegistry hubConnections, SessionEventDispatcher dispatcher, EventStreamRegistry eventStreams)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(hubConnections);
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(eventStreams);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableUpDownCounter("gateway.api.hub.connections", () => hubConnections.Count, "{connection}", "SignalR hub connections open.");
        meter.CreateObservableUpDownCounter("gateway.api.hub.subscriptions", () => dispatcher.SubscriptionCount, "{subscription}", "Hub subscriptions to a session's events.");
        meter.CreateObservableUpDownCounter("gateway.api.event_streams", () => eventStreams.Count, "{stream}", "Server-sent event streams open (GET …/sessions/{id}/events).");
        _sendsAccepted = meter.CreateCounter<long>("gateway.api.sends.accepted", "{request}", "REST send requests answered 202 Accepted, by endpoint (message, batch, stanza).");
    }

    /// <summary>Counts one accepted send; <paramref name="endpoint"/> is a prebuilt tag (<see cref="AcceptedSends"/>).</summary>
    internal void SendAccepted(KeyValuePair<string, object?> endpoint) => _sendsAccepted.Add(1, endpoint);
}
