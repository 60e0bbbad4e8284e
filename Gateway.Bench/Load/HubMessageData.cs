namespace Gateway.Bench.Load;

/// <summary>The part of Gateway.Api's <c>MessageDto</c> the load tool reads.</summary>
internal sealed record HubMessageData(string? Body);
