using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.OpenApi;

/// <summary>Example values for the OpenAPI document: one realistic conversation, reused across operations.</summary>
internal static partial class Examples
{
    public static readonly DateTimeOffset Since = new(2025, 1, 31, 9, 30, 0, TimeSpan.Zero);

    public static readonly CreateSessionRequest CreateSession = new()
    {
        Id = "support-bot",
        Jid = "alice@example.com",
        Password = "correct horse battery staple",
        Resource = "gateway",
    };

    public static readonly UpdateSessionRequest UpdateSession = new()
    {
        Password = "new horse battery staple",
        RequestReceipts = false,
    };

    public static readonly SessionDto Session = new()
    {
        Id = "support-bot",
        Jid = "alice@example.com",
        BoundJid = "alice@example.com/gateway",
        State = "online",
        StateSince = Since,
        CreatedAt = Since.AddSeconds(-2),
        StreamManagement = true,
        LastEventId = 42,
        Settings = new SessionSettingsDto
        {
            Resource = "gateway",
            TlsMode = "starttls",
            PinnedCertificateSha256 = [],
            SendInitialPresence = true,
            Carbons = true,
            RequestReceipts = true,
        },
    };

    public static readonly SessionDto[] Sessions =
    [
        Session with { Id = "alerts", Jid = "alerts@example.com", BoundJid = "alerts@example.com/gateway", State = "reconnecting", Reason = "connection-lost", ReasonText = "The connection was reset by the server.", ReconnectAttempt = 2, QueuedOutbound = 3, LastEventId = 7 },
        Session,
    ];

    public static readonly PostMessageRequest Message = new()
    {
        To = "bob@example.com",
        Type = "chat",
        Body = "Your order has shipped.",
        Thread = "order-42",
        ChatState = "active",
        ReplyTo = new ReplyToDto { Id = "order-42-question", To = "bob@example.com" },
        Payloads = ["<order xmlns='urn:example:shop' id='42' status='shipped'/>"],
    };

    public static readonly StanzaAcceptedDto Accepted = new("b3JkZXItNDItc2hpcA", AckedByServer: false);

    public static readonly PostMessageBatchRequest MessageBatch = new()
    {
        Messages =
        [
            new() { To = "bob@example.com", Body = "Your order has shipped.", Thread = "order-42" },
            new() { To = "carol@example.org", Body = "Your order has shipped." },
            new() { To = "@example.org", Body = "Your order has shipped." },
            new() { To = "dave@example.net", Body = "Your order has shipped." },
            new() { To = "erin@example.net", Body = "Your order has shipped." },
        ],
    };

    private const string InvalidTo = "is not a valid JID: JID localpart is empty although '@' is present (RFC 7622 §3.3)";

    private const string QueueFull = "The outbound queue of session 'support-bot' is full (1000 stanzas); retry after 2 s or raise Gateway:Pool:OutboundQueueCapacity.";

    /// <summary>Message 2 is invalid; the queue is full at message 3, so message 4 is not tried.</summary>
    public static readonly MessageBatchResultDto BatchAccepted = new(
        Accepted: 2,
        Refused: 3,
        [
            new() { Index = 0, Id = "b3JkZXItNDItc2hpcA", AckedByServer = false },
            new() { Index = 1, Id = "b3JkZXItNDItY2Fyb2w", AckedByServer = false },
            new() { Index = 2, Problem = ItemProblem(Make(400, ProblemCodes.ValidationFailed, $"The request is invalid: to {InvalidTo}") with { Errors = new Dictionary<string, string[]> { ["to"] = [InvalidTo] } }) },
            new() { Index = 3, Problem = ItemProblem(Make(429, ProblemCodes.OutboundQueueFull, QueueFull) with { RetryAfter = 2 }) },
            new()
            {
                Index = 4,
                Problem = ItemProblem(Make(429, ProblemCodes.OutboundQueueFull, "Not sent: message 3 of this batch was refused first (outbound-queue-full) and a batch is sent in order; send again from message 3.") with { RetryAfter = 2 }),
            },
        ]);

    private const string NeedsContent = "is required unless subject, payloads, chatState, retracts, reactions, oob or displayed are given: a message needs content";

    public static readonly GatewayProblemDetails BatchInvalid = Make(400, ProblemCodes.ValidationFailed, $"The request is invalid: messages[0].to {InvalidTo}; messages[1].body {NeedsContent}") with
    {
        Errors = new Dictionary<string, string[]>
        {
            ["messages[0].to"] = [InvalidTo],
            ["messages[1].body"] = [NeedsContent],
        },
    };

    public static readonly GatewayProblemDetails InvalidChatState = Make(400, ProblemCodes.ValidationFailed, "The request is invalid: chatState must be active, composing, paused, inactive or gone (XEP-0085 §2)") with
    {
        Errors = new Dictionary<string, string[]> { ["chatState"] = ["must be active, composing, paused, inactive or gone (XEP-0085 §2)"] },
    };

    public static readonly PostPresenceRequest Presence = new() { Show = "away", Status = "In a meeting until 3 pm", Priority = 5 };

    public static readonly PostIqRequest IqGet = new()
    {
        Type = "get",
        To = "bob@example.com/phone",
        Payload = "<query xmlns='jabber:iq:version'/>",
        TimeoutSeconds = 10,
    };

    /// <summary>The newest two messages of a conversation, newest first, with the cursor to the older ones.</summary>
    public static readonly HistoryPageDto HistoryPage = new(
        [
            new MessageDto
            {
                Id = "b3JkZXItNDItdGhhbmtz", From = "bob@example.com/phone", To = "alice@example.com", Type = "chat", Body = "Thanks!",
                StanzaId = "2b6d4e8a-9c01-4f3b-8c1e-7a2d4c8e9f10", Delay = Since.AddMinutes(-1),
            },
            new MessageDto
            {
                Id = "b3JkZXItNDItc2hpcA", From = "alice@example.com/gateway", To = "bob@example.com", Type = "chat", Body = "Your order has shipped.", Thread = "order-42",
                StanzaId = "5f3b8c1e-7a2d-4c8e-9f10-2b6d4e8a9c01", Delay = Since.AddMinutes(-2),
            },
        ],
        Next: "CfDJ8Nq2-history-cursor-opaque",
        Complete: false);

    /// <summary>The last message of a room's archive, which has no older ones.</summary>
    public static readonly HistoryPageDto RoomHistoryPage = new(
        [
            new MessageDto
            {
                Id = "cm9vbS1oZWxsbw", From = "lobby@conference.example.com/bob", To = "alice@example.com/gateway", Type = "groupchat", Body = "Morning, all",
                StanzaId = "9c014f3b-8c1e-7a2d-4c8e-9f102b6d4e8a", Delay = Since.AddHours(-1),
            },
        ],
        Next: null,
        Complete: true);

    public static readonly IqDto IqResult = new()
    {
        Id = "dmVyc2lvbi0x",
        From = "bob@example.com/phone",
        To = "alice@example.com/gateway",
        Type = "result",
        Payload = "<query xmlns=\"jabber:iq:version\"><name>Conversations</name><version>2.17</version></query>",
    };

    public static readonly RosterDto Roster = new(
        [
            new RosterItemDto("bob@example.com", "Bob", "both", PendingOut: false, ["Friends"]),
            new RosterItemDto("carol@example.org", null, "none", PendingOut: true, []),
        ],
        Version: "ver14");

    public static readonly PutRosterItemRequest RosterItem = new() { Name = "Bob", Groups = ["Friends", "Work"] };

    public const string RawMessage = "<message to='bob@example.com' type='chat'><body>Hello</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>";

    /// <summary>A problem example per status, used where an operation gives none of its own.</summary>
    public static GatewayProblemDetails Problem(int status) => status switch
    {
        400 => Make(status, ProblemCodes.ValidationFailed, "The request is invalid: to is not a valid JID: JID domainpart is empty (RFC 7622 §3.2)") with
        {
            Errors = new Dictionary<string, string[]> { ["to"] = ["is not a valid JID: JID domainpart is empty (RFC 7622 §3.2)"] },
        },
        401 => Make(status, ProblemCodes.Unauthorized, "This request needs an API key in the X-Api-Key header."),
        403 => Make(status, ProblemCodes.XmppStanzaError, "XMPP stanza error 'forbidden' (type auth)") with { XmppCondition = "forbidden", XmppErrorType = "auth" },
        404 => Make(status, ProblemCodes.SessionNotFound, "There is no session 'support-bot' for this API key."),
        409 => Make(status, ProblemCodes.SessionUnavailable, "Session 'support-bot' has failed (not-authorized) and will not reconnect.") with { SessionState = "failed" },
        413 => Make(status, ProblemCodes.PayloadTooLarge, "The request body is larger than 1024 KiB."),
        415 => Make(status, ProblemCodes.UnsupportedMediaType, "This content type is not accepted here: send application/json (or application/xmpp+xml for raw stanzas)."),
        422 => Make(status, ProblemCodes.XmppAuthFailed, "SASL authentication failed with 'not-authorized'.") with { XmppCondition = "not-authorized" },
        429 => Make(status, ProblemCodes.OutboundQueueFull, QueueFull) with { RetryAfter = 2 },
        501 => Make(status, ProblemCodes.XmppStanzaError, "XMPP stanza error 'feature-not-implemented' (type cancel)") with { XmppCondition = "feature-not-implemented", XmppErrorType = "cancel" },
        502 => Make(status, ProblemCodes.XmppStanzaError, "XMPP stanza error 'remote-server-not-found' (type cancel)") with { XmppCondition = "remote-server-not-found", XmppErrorType = "cancel" },
        503 => Make(status, ProblemCodes.SessionUnavailable, "Session 'support-bot' is reconnecting.") with { SessionState = "reconnecting", RetryAfter = 5 },
        504 => Make(status, ProblemCodes.XmppTimeout, "IQ dmVyc2lvbi0x timed out after 30 s."),
        _ => Make(status, ProblemCodes.BadRequest, "The request failed."),
    };

    public static GatewayProblemDetails Make(int status, string code, string detail) => new()
    {
        Type = GatewayProblems.TypeFor(status),
        Title = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
        Status = status,
        Detail = detail,
        Code = code,
        TraceId = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };

    /// <summary>A batch item's problem as the gateway writes it: the problem example's fields, nulls left out.</summary>
    private static ProblemDetails ItemProblem(GatewayProblemDetails example)
    {
        var problem = new ProblemDetails { Type = example.Type, Title = example.Title, Status = example.Status, Detail = example.Detail };
        problem.Extensions["code"] = example.Code;
        problem.Extensions["traceId"] = example.TraceId;
        if (example.RetryAfter is { } retryAfter)
        {
            problem.Extensions["retryAfter"] = retryAfter;
        }

        if (example.Errors is { } errors)
        {
            problem.Extensions["errors"] = errors;
        }

        return problem;
    }
}
