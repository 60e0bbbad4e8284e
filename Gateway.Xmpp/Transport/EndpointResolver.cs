using DnsClient;
using DnsClient.Protocol;

namespace Gateway.Xmpp.Transport;

/// <summary>Finds where to connect for a domain.</summary>
public interface IXmppEndpointResolver
{
    /// <summary>The endpoints to try, in order.</summary>
    Task<IReadOnlyList<XmppEndpoint>> ResolveAsync(string domain, CancellationToken cancellationToken);
}

/// <summary>
/// RFC 6120 §3.2.1 and XEP-0368: looks up <c>_xmpp-client._tcp</c> (STARTTLS) and <c>_xmpps-client._tcp</c>
/// (direct TLS) SRV records, merges them in priority/weight order, and falls back to the domain itself on
/// port 5222 when there are none (RFC 6120 §3.2.2).
/// </summary>
public sealed class DnsSrvEndpointResolver : IXmppEndpointResolver
{
    public const int DefaultClientPort = 5222;

    private readonly ILookupClient _lookup;

    public DnsSrvEndpointResolver()
        : this(new LookupClient(new LookupClientOptions { UseCache = true, Timeout = TimeSpan.FromSeconds(5), Retries = 1 }))
    {
    }

    public DnsSrvEndpointResolver(ILookupClient lookup) => _lookup = lookup;

    public async Task<IReadOnlyList<XmppEndpoint>> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        var records = new List<SrvCandidate>();
        await AddAsync(records, "_xmpps-client._tcp." + domain, directTls: true, cancellationToken).ConfigureAwait(false);
        await AddAsync(records, "_xmpp-client._tcp." + domain, directTls: false, cancellationToken).ConfigureAwait(false);
        return Order(records, domain, Random.Shared);
    }

    internal static IReadOnlyList<XmppEndpoint> Order(IReadOnlyList<SrvCandidate> records, string domain, Random random)
    {
        // RFC 2782: a single record with target "." means the service is decidedly not available.
        if (records.Count == 0 || records.All(r => r.Target is "." or ""))
        {
            return records.Count == 0 ? [new XmppEndpoint(domain, DefaultClientPort, DirectTls: false)] : [];
        }

        var ordered = new List<XmppEndpoint>(records.Count);
        foreach (var group in records.Where(r => r.Target is not ("." or "")).GroupBy(r => r.Priority).OrderBy(g => g.Key))
        {
            // RFC 2782 weighted selection within a priority: pick with probability proportional to weight.
            var remaining = group.ToList();
            while (remaining.Count > 0)
            {
                var total = remaining.Sum(r => r.Weight + 1);
                var pick = random.Next(total);
                var index = 0;
                for (var running = 0; index < remaining.Count; index++)
                {
                    running += remaining[index].Weight + 1;
                    if (pick < running)
                    {
                        break;
                    }
                }

                var chosen = remaining[Math.Min(index, remaining.Count - 1)];
                remaining.Remove(chosen);
                ordered.Add(new XmppEndpoint(chosen.Target.TrimEnd('.'), chosen.Port, chosen.DirectTls));
            }
        }

        return ordered;
    }

    private async Task AddAsync(List<SrvCandidate> records, string name, bool directTls, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _lookup.QueryAsync(name, QueryType.SRV, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            foreach (var srv in response.Answers.OfType<SrvRecord>())
            {
                records.Add(new SrvCandidate(srv.Target.Value, srv.Port, srv.Priority, srv.Weight, directTls));
            }
        }
        catch (DnsResponseException)
        {
            // No answer (NXDOMAIN, no DNS server reachable): fall through to the next record type or the A/AAAA fallback.
        }
    }

    internal sealed record SrvCandidate(string Target, int Port, int Priority, int Weight, bool DirectTls);
}

/// <summary>Always answers the configured host and port: for explicit overrides and tests.</summary>
public sealed class FixedEndpointResolver(XmppEndpoint endpoint) : IXmppEndpointResolver
{
    public Task<IReadOnlyList<XmppEndpoint>> ResolveAsync(string domain, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<XmppEndpoint>>([endpoint]);
}
