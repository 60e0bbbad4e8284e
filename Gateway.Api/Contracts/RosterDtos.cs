namespace Gateway.Api.Contracts;

/// <summary>The account's roster (RFC 6121 §2).</summary>
/// <param name="Items">The contacts.</param>
/// <param name="Version">The roster version (RFC 6121 §2.6), when the server versions rosters.</param>
public sealed record RosterDto(IReadOnlyList<RosterItemDto> Items, string? Version);

/// <summary>Adds a contact to the roster or updates it (RFC 6121 §2.3). Subscriptions are requested with POST presence.</summary>
public sealed record PutRosterItemRequest
{
    /// <summary>The handle shown for the contact.</summary>
    /// <example>Bob</example>
    public string? Name { get; init; }

    /// <summary>Groups the contact is in; replaces the current ones.</summary>
    /// <example>["Friends","Work"]</example>
    public IReadOnlyList<string>? Groups { get; init; }
}
