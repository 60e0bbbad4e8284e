using Gateway.Xmpp.StreamManagement;

namespace Gateway.Api.Cluster;

/// <summary>
/// What a draining node hands the session's next node with the grain's migration (<see cref="SessionGrain"/>'s
/// dehydration context): the XMPP stream it dropped without closing (<see cref="StreamResumption"/>, XEP-0198 §5), or
/// nothing to resume (the next node logs in anew). Orleans' serializer carries it; <c>Gateway.Xmpp</c> knows nothing of it.
/// </summary>
[GenerateSerializer]
[Immutable]
internal sealed record SessionHandoverState(
    [property: Id(0)] string? ResumptionId,
    [property: Id(1)] string? BoundJid,
    [property: Id(2)] uint InboundHandled,
    [property: Id(3)] uint OutboundAcked,
    [property: Id(4)] string[] Unacknowledged,
    [property: Id(5)] int? MaxResumeSeconds,
    [property: Id(6)] DateTimeOffset DetachedAt)
{
    /// <summary>The key in the migration context.</summary>
    public const string ContextKey = "gateway.session-handover";

    /// <summary>No stream to resume: the next node hosts the session and logs in.</summary>
    public static SessionHandoverState None { get; } = new(null, null, 0, 0, [], null, default);

    public static SessionHandoverState From(StreamResumption? resumption) => resumption is null
        ? None
        : new(resumption.ResumptionId, resumption.BoundJid, resumption.InboundHandled, resumption.OutboundAcked, [.. resumption.Unacknowledged], resumption.MaxResumeSeconds, resumption.DetachedAt);

    /// <summary>The stream to resume, or null when there is none.</summary>
    public StreamResumption? ToResumption() => ResumptionId is null || BoundJid is null
        ? null
        : new StreamResumption(ResumptionId, BoundJid, InboundHandled, OutboundAcked, [.. Unacknowledged], MaxResumeSeconds, DetachedAt);
}
