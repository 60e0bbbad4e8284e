// XEP-0198: Stream Management (v1.6.1) §5 Resumption
using System.Collections.Immutable;
using System.Diagnostics;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.StreamManagement;

/// <summary>
/// A stream that was dropped without being closed, so that the server keeps it for resumption (XEP-0198 §5), in a form
/// that can leave the process: another process of the same session resumes it with <see cref="ResumptionId"/> and
/// <see cref="InboundHandled"/>, and the server's 'h' then says which of <see cref="Unacknowledged"/> it still needs.
/// Only strings and numbers, so a host can carry it however it likes (e.g. a cluster's migration context).
/// </summary>
/// <param name="ResumptionId">The stream's resumption id (the 'previd' of &lt;resume/&gt;).</param>
/// <param name="BoundJid">The stream's full JID; a resumed stream keeps it.</param>
/// <param name="InboundHandled">Stanzas received on the stream and handled (durably, for the gateway's pool): the 'h' of &lt;resume/&gt;.</param>
/// <param name="OutboundAcked">The server's last acknowledged count of what was sent on the stream.</param>
/// <param name="Unacknowledged">The stanzas sent after that count, oldest first, each as its XML.</param>
/// <param name="MaxResumeSeconds">How long the server said it keeps the stream, when it said.</param>
/// <param name="DetachedAt">When the stream was dropped (wall clock: the process that resumes it has another monotonic clock).</param>
public sealed record StreamResumption(
    string ResumptionId,
    string BoundJid,
    uint InboundHandled,
    uint OutboundAcked,
    ImmutableArray<string> Unacknowledged,
    int? MaxResumeSeconds,
    DateTimeOffset DetachedAt)
{
    /// <summary>The resumable part of <paramref name="handoff"/>; null when the server did not allow resumption.</summary>
    internal static StreamResumption? From(StreamHandoff handoff, DateTimeOffset now) =>
        handoff is { ResumptionId: { } id, BoundJid: { } bound } && handoff.CanResume
            ? new StreamResumption(id, bound.ToString(), handoff.InboundHandled, handoff.OutboundAcked, [.. handoff.Unacked.Select(p => StanzaSerializer.ToXml(p.Stanza))], handoff.MaxResumeSeconds, now)
            : null;

    /// <summary>
    /// The handoff for the first connection of the session's new host: it resumes this stream. Each unacknowledged
    /// stanza that is also among <paramref name="queued"/> (by id) shares its pending acknowledgement, so that whoever
    /// waits for it (the outbox) learns the outcome; the queued stanzas the stream never carried follow, in their order.
    /// </summary>
    /// <param name="queued">What the new host would otherwise send on connecting (its outbox), oldest first.</param>
    /// <param name="now">The wall clock now, to tell how long ago the stream was dropped.</param>
    /// <exception cref="XmppProtocolException">A stanza or the JID does not parse.</exception>
    internal StreamHandoff ToHandoff(StreamHandoff? queued, DateTimeOffset now)
    {
        if (!Jid.TryParse(BoundJid, out var bound) || bound.Resource is null)
        {
            throw new XmppProtocolException(StreamErrorCondition.BadFormat, "The handed-over stream's JID is not a full JID.");
        }

        var waiting = queued?.Unacked ?? [];
        var byId = waiting.Where(p => p.Stanza.Id is not null).GroupBy(p => p.Stanza.Id!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var pending = new List<PendingAcknowledgement>(Unacknowledged.Length + waiting.Count);
        var carried = new HashSet<PendingAcknowledgement>();
        foreach (var xml in Unacknowledged)
        {
            var stanza = StanzaCodec.Parse(XElement.Parse(xml, LoadOptions.None));
            if (stanza.Id is { } id && byId.TryGetValue(id, out var known) && carried.Add(known))
            {
                pending.Add(known);
            }
            else
            {
                // An IQ, a presence, a receipt: sent by the old host, and nobody here waits for it.
                pending.Add(new PendingAcknowledgement(stanza, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
            }
        }

        pending.AddRange(waiting.Where(p => !carried.Contains(p)));

        // StreamHandoff measures its age on this process's monotonic clock.
        var age = now - DetachedAt;
        var detachedAt = age <= TimeSpan.Zero ? Stopwatch.GetTimestamp() : Stopwatch.GetTimestamp() - (long)(age.TotalSeconds * Stopwatch.Frequency);
        return new StreamHandoff(ResumptionId, bound, InboundHandled, OutboundAcked, pending, MaxResumeSeconds, Math.Max(1, detachedAt));
    }
}
