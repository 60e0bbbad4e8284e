namespace Gateway.Bench.Load;

/// <summary>
/// The part of the hub's <c>OnMessage</c> argument (Gateway.Api's <c>EventEnvelope&lt;MessageDto&gt;</c>) the load tool
/// reads; the JSON protocol ignores the rest.
/// </summary>
internal sealed record HubMessageEnvelope(long EventId, HubMessageData? Data);
