namespace Gateway.Bench.Load;

/// <summary>What each sent chat message carries besides its body, as the server sees it.</summary>
internal enum MessageShape
{
    /// <summary>A bare chat message with a body: the server's ceiling.</summary>
    Bare,

    /// <summary>
    /// What the gateway sends for a tracked chat message: an id, XEP-0359 origin-id, a XEP-0184 receipt request and
    /// XEP-0333 markable.
    /// </summary>
    Gateway,

    /// <summary>The gateway's message sent with <c>requestReceipts: false</c>: an id and the origin-id only.</summary>
    GatewayWithoutReports,
}

/// <summary>The JSON of one message the gateway scenarios send, the same for a single send and a batch item.</summary>
internal static class GatewayMessageJson
{
    /// <summary><paramref name="requestReceipts"/> false adds <c>"requestReceipts":false</c>; true leaves the default.</summary>
    public static string Create(string to, string body, bool requestReceipts) =>
        $$"""{"to":"{{to}}","type":"chat","body":"{{body}}"{{(requestReceipts ? "" : ""","requestReceipts":false""")}}}""";
}
