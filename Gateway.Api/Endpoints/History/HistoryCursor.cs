// XEP-0059: Result Set Management (v1.0) https://xmpp.org/extensions/xep-0059.html
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Api.Endpoints.History;

/// <summary>
/// Where a history read continues: the query it belongs to (session, archive, filters, order) and the RSM id to page
/// from — after it (oldest first) or before it (newest first). Handed out sealed with the gateway's data-protection
/// keys, so a client can only continue a query it was given, never change its filters or aim it at another session's
/// archive; the key ring outlives restarts, so a cursor does too.
/// </summary>
/// <param name="Tenant">The tenant the query ran for.</param>
/// <param name="SessionId">The session it ran on.</param>
/// <param name="Room">The room's bare JID; null for the account's own archive.</param>
/// <param name="Filter">The query's filters and order.</param>
/// <param name="RsmId">The archive id the next page starts after (oldest first) or ends before (newest first).</param>
internal sealed record HistoryCursor(string Tenant, string SessionId, string? Room, HistoryFilter Filter, string RsmId)
{
    private const string Purpose = "Gateway.History.Cursor.v1";
    private const byte Version = 1;

    /// <summary>The opaque, sealed text handed to the client.</summary>
    public string Seal(IDataProtectionProvider dataProtection)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(Tenant);
            writer.Write(SessionId);
            WriteOptional(writer, Room);
            WriteOptional(writer, Filter.With);
            writer.Write(Filter.Start?.UtcTicks ?? -1);
            writer.Write(Filter.End?.UtcTicks ?? -1);
            writer.Write(Filter.NewestFirst);
            writer.Write(RsmId);
        }

        return WebEncoders.Base64UrlEncode(dataProtection.CreateProtector(Purpose).Protect(buffer.ToArray()));
    }

    /// <summary>Opens a cursor; false when it is not one this gateway sealed (malformed, altered, or from an unknown key).</summary>
    public static bool TryOpen(IDataProtectionProvider dataProtection, string text, out HistoryCursor? cursor)
    {
        cursor = null;
        try
        {
            var bytes = dataProtection.CreateProtector(Purpose).Unprotect(WebEncoders.Base64UrlDecode(text));
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (reader.ReadByte() != Version)
            {
                return false;
            }

            var tenant = reader.ReadString();
            var sessionId = reader.ReadString();
            var room = ReadOptional(reader);
            var with = ReadOptional(reader);
            var start = ReadTime(reader);
            var end = ReadTime(reader);
            var newestFirst = reader.ReadBoolean();
            var rsmId = reader.ReadString();
            cursor = new HistoryCursor(tenant, sessionId, room, new HistoryFilter(with, start, end, newestFirst), rsmId);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or EndOfStreamException or IOException)
        {
            return false;
        }
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static DateTimeOffset? ReadTime(BinaryReader reader) => reader.ReadInt64() is >= 0 and var ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
}

/// <summary>What a history read selects, and in which order it pages.</summary>
/// <param name="With">Only messages exchanged with this JID (as given, normalised).</param>
/// <param name="Start">Only messages archived at or after this instant.</param>
/// <param name="End">Only messages archived at or before this instant.</param>
/// <param name="NewestFirst">Pages (and the items of each page) newest first.</param>
internal sealed record HistoryFilter(string? With, DateTimeOffset? Start, DateTimeOffset? End, bool NewestFirst);
