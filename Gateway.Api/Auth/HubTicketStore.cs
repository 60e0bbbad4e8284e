using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Auth;

/// <summary>
/// Short-lived, opaque tickets that open one hub connection in place of the long-lived API key, so a browser never
/// puts the key in a URL (query strings end up in proxy and server logs). A ticket carries its key's identity (tenant,
/// scopes) and is worth nothing once the key is removed or changed. Single use: the request that opens the transport
/// binds it to that connection (SignalR's <c>id</c>); the negotiate request before it may use it unbound, and the
/// HTTP transports' later requests of the same connection may use it bound. Kept by the SHA-256 of the ticket, so
/// the store holds nothing a caller could present.
/// </summary>
internal sealed class HubTicketStore(ApiKeyStore keys, IOptions<HubTicketOptions> options, TimeProvider? timeProvider = null)
{
    /// <summary>Tickets start with this, so the handler knows not to look them up as keys.</summary>
    public const string Prefix = "ght_";

    /// <summary>Stands for "bound to a transport request without a connection token" (WebSockets with skipNegotiation).</summary>
    private const string NoConnectionToken = "\0";

    private readonly ConcurrentDictionary<string, Entry> _tickets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>A new ticket for the key, or null when <see cref="HubTicketOptions.MaxOutstanding"/> tickets are held.</summary>
    public (string Ticket, DateTimeOffset ExpiresAt)? Issue(ApiKeyIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var limit = options.Value.MaxOutstanding;
        if (_tickets.Count >= limit / 2)
        {
            Sweep();
        }

        if (_tickets.Count >= limit)
        {
            return null;
        }

        var ticket = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var expiresAt = _time.GetUtcNow() + options.Value.Lifetime;
        _tickets[Id(ticket)] = new Entry(identity, expiresAt);
        return (ticket, expiresAt);
    }

    /// <summary>
    /// The identity a ticket stands for, and the ticket's id (for <see cref="Forget"/>), or null when it is unknown,
    /// expired, already used by another connection, or its key is gone.
    /// </summary>
    /// <param name="ticket">The ticket as presented.</param>
    /// <param name="negotiate">Whether this is SignalR's negotiate request, which opens nothing.</param>
    /// <param name="connectionToken">SignalR's <c>id</c> query parameter of a transport request.</param>
    public (ApiKeyIdentity Identity, string TicketId)? Redeem(string ticket, bool negotiate, string? connectionToken)
    {
        var id = Id(ticket);
        if (!_tickets.TryGetValue(id, out var entry))
        {
            return null;
        }

        if (!keys.IsCurrent(entry.Identity))
        {
            _tickets.TryRemove(id, out _);
            return null;
        }

        if (entry.BoundTo is null)
        {
            if (_time.GetUtcNow() >= entry.ExpiresAt)
            {
                _tickets.TryRemove(KeyValuePair.Create(id, entry));
                return null;
            }

            if (negotiate)
            {
                return (entry.Identity, id);
            }

            // The first transport request wins the ticket; a concurrent second one sees it bound to the first.
            if (Interlocked.CompareExchange(ref entry.BoundTo, connectionToken ?? NoConnectionToken, null) is null)
            {
                return (entry.Identity, id);
            }
        }

        return !negotiate && connectionToken is not null && entry.BoundTo == connectionToken ? (entry.Identity, id) : null;
    }

    /// <summary>Drops the ticket (its connection closed).</summary>
    public void Forget(string ticketId) => _tickets.TryRemove(ticketId, out _);

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, entry) in _tickets)
        {
            // A bound ticket lives with its connection (Forget); one whose transport never connected goes after a day.
            if ((entry.BoundTo is null && now >= entry.ExpiresAt) || now >= entry.ExpiresAt + TimeSpan.FromDays(1))
            {
                _tickets.TryRemove(KeyValuePair.Create(id, entry));
            }
        }
    }

    private static string Id(string ticket) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ticket)));

    private sealed class Entry(ApiKeyIdentity identity, DateTimeOffset expiresAt)
    {
        public ApiKeyIdentity Identity { get; } = identity;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        /// <summary>The connection token of the transport request that used it; null while unused.</summary>
        public string? BoundTo;
    }
}
