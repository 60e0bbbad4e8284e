namespace Gateway.Api.Persistence;

/// <summary>
/// A stored event payload or outbox stanza carries no seal (<c>ag1:</c> or <c>dp1:</c>): it was not written by this
/// store, which encrypts every value, so it is refused rather than read unauthenticated. A <see cref="FormatException"/>
/// like every other unreadable value: the store skips and logs the row.
/// </summary>
/// <remarks>
/// Only development builds before payload encryption (schema version 2, before 2 December 2026) wrote values in clear;
/// no release did. Anyone able to write the database file could otherwise plant events, or outbox stanzas that the
/// gateway would send as the account.
/// </remarks>
public sealed class UnsealedPayloadException : FormatException
{
    public UnsealedPayloadException()
        : base("A stored payload is not sealed (no ag1: or dp1: marker): refused, the store never writes values in clear.")
    {
    }

    public UnsealedPayloadException(string message)
        : base(message)
    {
    }

    public UnsealedPayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
