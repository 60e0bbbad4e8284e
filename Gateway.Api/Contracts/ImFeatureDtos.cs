namespace Gateway.Api.Contracts;

/// <summary>What a message replies to (XEP-0461).</summary>
public sealed record ReplyToDto
{
    /// <summary>
    /// The id of the message replied to: its <c>id</c> (in a groupchat: the room's stanza-id). Required, 1-128 characters.
    /// </summary>
    /// <example>order-42-shipped</example>
    public string? Id { get; init; }

    /// <summary>Its author (XEP-0461 §4: SHOULD be given; a bare JID in 1:1 chats).</summary>
    /// <example>bob@example.com</example>
    public string? To { get; init; }
}

/// <summary>
/// The sender's reactions to one message (XEP-0444): always the complete set, so an update replaces the previous one and
/// an empty list removes every reaction (§4.2).
/// </summary>
public sealed record ReactionsDto
{
    /// <summary>The id of the message reacted to (its <c>id</c>; in a groupchat the room's stanza-id). Required, 1-128 characters.</summary>
    /// <example>order-42-shipped</example>
    public string? Id { get; init; }

    /// <summary>The reactions, each an emoji, each at most once; at most 32. Required; empty removes all reactions.</summary>
    /// <example>["👍","🎉"]</example>
    public IReadOnlyList<string>? Emojis { get; init; }
}

/// <summary>A URL sent with a message (XEP-0066 jabber:x:oob), e.g. an uploaded file.</summary>
public sealed record OobDto
{
    /// <summary>An absolute http or https URL, at most 2048 characters. Required.</summary>
    /// <example>https://upload.example.com/a1b2/invoice-42.pdf</example>
    public string? Url { get; init; }

    /// <summary>What it is, at most 1024 characters.</summary>
    /// <example>Invoice 42</example>
    public string? Desc { get; init; }
}
