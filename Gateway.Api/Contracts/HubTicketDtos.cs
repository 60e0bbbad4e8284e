namespace Gateway.Api.Contracts;

/// <summary>A hub ticket: pass it as <c>access_token</c> (SignalR's <c>accessTokenFactory</c>) when connecting to <c>/hubs/xmpp</c>.</summary>
/// <param name="Ticket">Opaque; opens one hub connection with the tenant and scopes of the key that asked for it.</param>
/// <param name="ExpiresAt">Unused after this instant, the ticket is refused (a connection opened before stays open).</param>
public sealed record HubTicketDto(string Ticket, DateTimeOffset ExpiresAt);
