using System.Diagnostics.CodeAnalysis;
using Gateway.Xmpp;
using Gateway.Xmpp.Muc;

namespace Gateway.Api.Contracts;

/// <summary>Room requests (XEP-0045) into library values, with the errors keyed by JSON name.</summary>
internal static partial class RequestMapper
{
    /// <summary>The most history messages a join may ask for.</summary>
    public const int MaxHistoryStanzas = 1_000;

    /// <summary>A room from the URL: a bare JID with a local part (room@service, XEP-0045 §6.1 naming).</summary>
    public static Jid? RoomJid(string value, Dictionary<string, string[]> errors)
    {
        if (!Jid.TryParse(value, out var jid, out var error))
        {
            Add(errors, "room", $"is not a valid JID: {error}");
            return null;
        }

        if (!jid.IsBare || jid.Local is null)
        {
            Add(errors, "room", "must be a bare room JID (room@service)");
            return null;
        }

        return jid;
    }

    /// <summary>A nick is the resource of the occupant JID (XEP-0045 §7.2.1): it must make a valid one.</summary>
    public static string? Nick(Jid? room, string? nick, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(nick))
        {
            Add(errors, field, "is required");
            return null;
        }

        if (room is not null && !Jid.TryParse($"{room}/{nick}", out _, out var error))
        {
            Add(errors, field, $"is not a valid nick: {error}");
            return null;
        }

        return nick;
    }

    public static bool TryCreateJoin(string roomText, JoinRoomRequest request, [NotNullWhen(true)] out Jid? room, [NotNullWhen(true)] out string? nick, out MucHistory? history, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        history = null;
        room = RoomJid(roomText, errors);
        nick = Nick(room, request.Nick, "nick", errors);
        Text(request.Password, "password", errors, 1024);
        if (request.History is { } h)
        {
            if (h.MaxStanzas is < 0 or > MaxHistoryStanzas)
            {
                Add(errors, "history.maxStanzas", $"must be 0 to {MaxHistoryStanzas}");
            }

            history = new MucHistory(h.MaxStanzas, h.Since);
        }

        return errors.Count == 0 && room is not null && nick is not null;
    }

    public static bool TryCreateRoomMessage(PostRoomMessageRequest request, [NotNullWhen(true)] out Message? message, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        message = null;
        Text(request.Body, "body", errors);
        var payload = Payloads(request.Payloads, errors);
        if (request.Body is null && payload.IsEmpty)
        {
            Add(errors, "body", "is required unless payloads are given: a message needs content");
        }

        if (errors.Count > 0)
        {
            return false;
        }

        message = new Message { Body = request.Body, Payload = payload };
        return true;
    }

    public static MucRole? Role(string? value, Dictionary<string, string[]> errors)
    {
        if (MucElements.TryParseRole(value, out var role))
        {
            return role;
        }

        Add(errors, "role", "must be none, visitor, participant or moderator");
        return null;
    }

    public static MucAffiliation? Affiliation(string? value, Dictionary<string, string[]> errors)
    {
        if (MucElements.TryParseAffiliation(value, out var affiliation))
        {
            return affiliation;
        }

        Add(errors, "affiliation", "must be none, outcast, member, admin or owner");
        return null;
    }

    public static Jid? UserJid(string? value, string field, Dictionary<string, string[]> errors) => RequiredJid(value, field, errors);

    public static void Reason(string? value, Dictionary<string, string[]> errors) => Text(value, "reason", errors, 1024);

    public static void Subject(string? value, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            Add(errors, "subject", "is required (empty clears it)");
        }

        Text(value, "subject", errors, 4096);
    }
}
