using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Contracts;

/// <summary>
/// Messages to send in one request, in order: 1 to 1,000 (<c>MaxMessages</c>), each exactly what
/// <c>POST /sessions/{id}/messages</c> takes.
/// </summary>
public sealed record PostMessageBatchRequest
{
    /// <summary>The most messages one batch may hold.</summary>
    public const int MaxMessages = 1_000;

    /// <summary>
    /// The most bytes a batch's body may have (8 MiB; a single send has 1 MiB): 1,000 messages of about 8 KiB of
    /// JSON each. A batch of large payloads should be split into smaller batches.
    /// </summary>
    public const long MaxBodyBytes = 8L * 1024 * 1024;

    /// <summary>1 to 1,000 messages, sent in this order.</summary>
    public required IReadOnlyList<PostMessageRequest> Messages { get; init; }
}

/// <summary>What became of each message of a batch, in request order.</summary>
/// <param name="Accepted">How many messages were accepted (stored and queued).</param>
/// <param name="Refused">How many were refused: invalid, refused by the session, or not tried after a refusal.</param>
/// <param name="Results">One entry per message of the request, in request order.</param>
public sealed record MessageBatchResultDto(int Accepted, int Refused, IReadOnlyList<MessageBatchItemDto> Results);

/// <summary>
/// One message's outcome: accepted (<c>id</c> and <c>ackedByServer</c>, as a single send answers) or refused
/// (<c>problem</c>, the problem details a single send would have answered, with <c>retryAfter</c> in place of the
/// <c>Retry-After</c> header).
/// </summary>
public sealed record MessageBatchItemDto
{
    /// <summary>The message's position in the request, from 0.</summary>
    /// <example>0</example>
    public required int Index { get; init; }

    /// <summary>Accepted: the stanza id (yours, generated, or derived from the idempotency key).</summary>
    /// <example>b3JkZXItNDItc2hpcA</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }

    /// <summary>Accepted: true when the server acknowledged it (XEP-0198), which only <c>?wait=server</c> waits for.</summary>
    /// <example>false</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AckedByServer { get; init; }

    /// <summary>Refused: why, as problem details (the <c>GatewayProblemDetails</c> shape of every error response).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ProblemDetails? Problem { get; init; }
}
