using System.Collections.Immutable;
using System.Xml.Linq;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Who answers the IQ get/set requests a connection receives (RFC 6120 §8.2.3): a handler per payload name, a
/// fallback for the rest, and the features announced in XEP-0030 disco#info. Requests run on the thread pool, at
/// most <see cref="MaxConcurrent"/> at once: beyond that a request is answered <c>resource-constraint</c> at once
/// rather than queueing work without bound (RFC 6120 §8.3.3.18, type wait: the requester may retry).
/// </summary>
internal sealed class IqRequestHandlers(int maxConcurrent)
{
    private ImmutableDictionary<XName, IqRequestHandler> _handlers = ImmutableDictionary<XName, IqRequestHandler>.Empty;
    private ImmutableSortedSet<string> _features = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    private IqRequestHandler? _fallback;
    private int _running;

    public int MaxConcurrent { get; } = maxConcurrent;

    /// <summary>The features to announce, sorted.</summary>
    public IReadOnlyCollection<string> Features => _features;

    public void Set(XName payloadName, IqRequestHandler handler, string? discoFeature)
    {
        ImmutableInterlocked.AddOrUpdate(ref _handlers, payloadName, handler, (_, _) => handler);
        if (discoFeature is not null)
        {
            AddFeature(discoFeature);
        }
    }

    public void Remove(XName payloadName, string? discoFeature)
    {
        ImmutableInterlocked.TryRemove(ref _handlers, payloadName, out _);
        if (discoFeature is not null)
        {
            ImmutableInterlocked.Update(ref _features, static (set, feature) => set.Remove(feature), discoFeature);
        }
    }

    public void AddFeature(string feature) =>
        ImmutableInterlocked.Update(ref _features, static (set, feature) => set.Add(feature), feature);

    public void SetFallback(IqRequestHandler? handler) => Volatile.Write(ref _fallback, handler);

    /// <summary>The handler for the request's payload (or the fallback); null when nobody answers it (service-unavailable, §8.4).</summary>
    public IqRequestHandler? Find(Iq request) =>
        _handlers.TryGetValue(request.Query!.Name, out var handler) ? handler : Volatile.Read(ref _fallback);

    /// <summary>Takes a slot for one running request; false when <see cref="MaxConcurrent"/> already run.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _running) <= MaxConcurrent)
        {
            return true;
        }

        Interlocked.Decrement(ref _running);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _running);
}
