using System.Diagnostics;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>
/// The pool's <see cref="ActivitySource"/> (<see cref="SourceName"/>): one activity per sent stanza, from its acceptance
/// to the server's XEP-0198 acknowledgement, with the events <c>queued</c>, <c>written</c> and <c>acked</c>. Created only
/// while something listens (<see cref="ActivitySource.HasListeners"/>), so an untraced gateway pays one volatile read
/// per send.
/// </summary>
internal static class XmppActivities
{
    /// <summary>The source's name: what a tracer subscribes to.</summary>
    public const string SourceName = XmppTelemetry.ActivitySourceName;

    /// <summary>The activity of one outbound stanza.</summary>
    public const string OutboundName = "gateway.xmpp.outbound";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly ActivityEvent Queued = new("queued");
    private static readonly ActivityEvent Acked = new("acked");

    /// <summary>
    /// Starts the stanza's activity as a child of the caller's (the REST request's span, when there is one) without
    /// making it the current one: it outlives the request when the caller does not wait for the acknowledgement, and
    /// what the caller does next is not part of it. Null when nobody listens.
    /// </summary>
    public static Activity? StartOutbound(string tenant, string sessionId, Stanza stanza)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity(OutboundName, ActivityKind.Producer);
        Activity.Current = previous;
        if (activity is { IsAllDataRequested: true })
        {
            // Ids only: never a JID or a body (docs/observability.md).
            activity.SetTag("gateway.tenant", tenant);
            activity.SetTag("gateway.session.id", sessionId);
            activity.SetTag("xmpp.stanza.kind", stanza switch { Message => "message", Presence => "presence", Iq => "iq", _ => "other" });
            activity.SetTag("xmpp.stanza.id", stanza.Id);
        }

        return activity;
    }

    public static void OnQueued(Activity? activity) => activity?.AddEvent(Queued);

    /// <summary>Written on a connection; <paramref name="awaitsAck"/>: the server will acknowledge it (XEP-0198).</summary>
    public static void OnWritten(Activity? activity, bool awaitsAck)
    {
        if (activity is null)
        {
            return;
        }

        activity.AddEvent(new ActivityEvent("written", tags: new ActivityTagsCollection { ["xmpp.sm.awaits_ack"] = awaitsAck }));
        if (!awaitsAck)
        {
            // Without stream management nothing better than "written" will come (RFC 6120 has no stanza acknowledgement).
            End(activity);
        }
    }

    public static void OnAcked(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        activity.AddEvent(Acked);
        activity.SetStatus(ActivityStatusCode.Ok);
        End(activity);
    }

    /// <summary>Ends it as failed (refused, dropped, connection lost before the acknowledgement).</summary>
    public static void OnFailed(Activity? activity, string reason)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, reason);
        End(activity);
    }

    /// <summary>Ends it with its fate left to the next gateway process (kept in the durable outbox at shutdown).</summary>
    public static void OnKept(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        activity.AddEvent(new ActivityEvent("kept"));
        End(activity);
    }

    /// <summary>
    /// Stops it without touching the caller's current activity: <see cref="Activity.Stop"/> makes the activity's
    /// predecessor current again, and here the caller (the sender's loop, an acknowledgement continuation) never had
    /// this one as its current.
    /// </summary>
    private static void End(Activity activity)
    {
        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }
}
