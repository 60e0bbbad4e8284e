using System.Collections.Immutable;
using System.Xml.Linq;

namespace Gateway.Xmpp;

/// <summary>
/// Common parts of the three stanza kinds (RFC 6120 §8.1). Stanzas are immutable: derive a new one with
/// <c>with</c>. Child elements the library does not model are kept in <see cref="Payload"/>, in order, so
/// that nothing received is lost when a stanza is forwarded or serialised again.
/// </summary>
/// <remarks>
/// The <see cref="XElement"/>s in <see cref="Payload"/> are treated as immutable by the library; callers
/// must not mutate them (clone with <c>new XElement(element)</c> first).
/// </remarks>
public abstract record Stanza
{
    /// <summary>The intended recipient (RFC 6120 §8.1.1); null means the account's own server or bare JID.</summary>
    public Jid? To { get; init; }

    /// <summary>The sender as stamped by the server (RFC 6120 §8.1.2); null on outbound stanzas.</summary>
    public Jid? From { get; init; }

    /// <summary>RFC 6120 §8.1.3: used to correlate replies; required on IQs.</summary>
    public string? Id { get; init; }

    /// <summary>RFC 6120 §8.1.5: the default language of human-readable text in the stanza.</summary>
    public string? Language { get; init; }

    /// <summary>The stanza error when the type is <c>error</c> (RFC 6120 §8.3).</summary>
    public StanzaError? Error { get; init; }

    /// <summary>Extension and unknown child elements, in document order.</summary>
    public ImmutableArray<XElement> Payload { get; init; } = [];

    /// <summary>The element name on the wire: <c>message</c>, <c>presence</c> or <c>iq</c>.</summary>
    public abstract string ElementName { get; }

    /// <summary>True when the stanza's type is <c>error</c>.</summary>
    public abstract bool IsError { get; }

    /// <summary>The first payload element with the given qualified name, or null.</summary>
    public XElement? FindPayload(XName name)
    {
        foreach (var element in Payload)
        {
            if (element.Name == name)
            {
                return element;
            }
        }

        return null;
    }
}

/// <summary>
/// Generates stanza ids: unguessable, short, URL-safe, and in the order they were made. The first 7 characters are
/// the time in milliseconds (42 bits, enough until the year 2109), the other 13 are 78 random bits, written in
/// base64url's characters but in ASCII order (<c>-0-9A-Z_a-z</c>), so that ids compare as strings (ordinal) the way
/// their times do. The time's first character is far from <c>-</c> (<c>P</c> in 2026), so ids never start with one.
/// </summary>
/// <remarks>
/// Why the order: stores index stanza ids (the outbox, a message's delivery status), and an index of random keys
/// takes every new key on a page of its own, so a commit of N messages rewrites N pages of it. Ids made in order go
/// to the end of the index together, a few pages per commit. Unguessable still: 78 random bits per millisecond.
/// </remarks>
public static class StanzaId
{
    /// <summary>The 64 characters of base64url in ASCII order: a digit's value and its character sort alike.</summary>
    private const string Alphabet = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

    private const int TimeCharacters = 7;

    private const int RandomCharacters = 13;

    /// <summary>The length of every id <see cref="New()"/> makes.</summary>
    public const int Length = TimeCharacters + RandomCharacters;

    /// <summary>A new id: 20 characters, 42 bits of the current Unix time in milliseconds, then 78 random bits.</summary>
    public static string New() => New(TimeProvider.System.GetUtcNow());

    /// <summary>A new id made at <paramref name="now"/> (for tests of the order).</summary>
    public static string New(DateTimeOffset now)
    {
        Span<char> id = stackalloc char[Length];
        // The milliseconds, most significant first: 6 bits per character.
        var milliseconds = (ulong)now.ToUnixTimeMilliseconds();
        for (var i = TimeCharacters - 1; i >= 0; i--)
        {
            id[i] = Alphabet[(int)(milliseconds & 63)];
            milliseconds >>= 6;
        }

        // 6 random bits per character: each byte's low six, uniform since 64 divides 256.
        Span<byte> random = stackalloc byte[RandomCharacters];
        System.Security.Cryptography.RandomNumberGenerator.Fill(random);
        for (var i = 0; i < RandomCharacters; i++)
        {
            id[TimeCharacters + i] = Alphabet[random[i] & 63];
        }

        return new string(id);
    }
}
