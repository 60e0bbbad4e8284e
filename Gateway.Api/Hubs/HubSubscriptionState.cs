namespace Gateway.Api.Hubs;

/// <summary>What the dispatch loop may do with a subscription.</summary>
internal enum HubSubscriptionState
{
    /// <summary>The pump reads the log; the loop ignores the session's live events for it (the log has them).</summary>
    Replaying,

    /// <summary>The loop queues the session's live events for it.</summary>
    Live,

    /// <summary>Nothing more is queued; the pump drops what is and stops.</summary>
    Ended,
}
