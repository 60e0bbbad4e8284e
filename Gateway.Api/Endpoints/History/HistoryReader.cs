// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Endpoints.History;

/// <summary>What a history read came to: a page, invalid parameters, or the archive's refusal.</summary>
internal abstract record HistoryOutcome
{
    public sealed record Page(HistoryPageDto Value) : HistoryOutcome;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : HistoryOutcome;

    public sealed record Refused(ProblemMapping Problem) : HistoryOutcome;
}

/// <summary>
/// One history read, for REST and the hub alike: validates the parameters, asks the session's archive, maps the
/// archive's refusals that mean something particular for history, and seals the next cursor. Failures of the session
/// or the connection (timeout, offline) propagate as exceptions, mapped the gateway-wide way.
/// </summary>
internal static class HistoryReader
{
    /// <summary>Reads a page of the account's own archive.</summary>
    public static Task<HistoryOutcome> ReadOwnAsync(IManagedSession session, string tenant, HistoryRequest.Parameters parameters, IDataProtectionProvider dataProtection, CancellationToken cancellationToken) =>
        ReadAsync(session, tenant, room: null, parameters, dataProtection, cancellationToken);

    /// <summary>The room's JID, or the errors that make it (or the parameters) unusable for a room's archive.</summary>
    public static Dictionary<string, string[]>? CheckRoom(string? roomJid, HistoryRequest.Parameters parameters, out Jid? room)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!Jid.TryParse(roomJid, out room) || !room.IsBare || room.Local is null)
        {
            room = null;
            return new() { ["roomJid"] = ["must be a room's bare JID, e.g. lobby@conference.example.com"] };
        }

        // XEP-0313 §5 leaves 'with' in a room's archive undefined; Prosody's mod_muc_mam ignores it, which would hand
        // back unfiltered messages as if filtered. Refused rather than silently dropped.
        return parameters.With is not null ? new() { ["with"] = ["is not supported for a room's archive"] } : null;
    }

    /// <summary>Reads a page of <paramref name="room"/>'s archive (checked with <see cref="CheckRoom"/>) or of the own (null).</summary>
    public static async Task<HistoryOutcome> ReadAsync(IManagedSession session, string tenant, Jid? room, HistoryRequest.Parameters parameters, IDataProtectionProvider dataProtection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var sessionId = session.Info.Id;
        if (session.History is not { } history)
        {
            return new HistoryOutcome.Refused(new ProblemMapping(StatusCodes.Status409Conflict, ProblemCodes.HistoryUnavailable, $"Session '{sessionId}' cannot read archives."));
        }

        if (!HistoryRequest.TryParse(parameters, tenant, sessionId, room, history.MaxPageSize, dataProtection, out var request, out var errors))
        {
            return new HistoryOutcome.Invalid(errors);
        }

        ArchiveResults results;
        try
        {
            results = await history.QueryAsync(request!.ToQuery(room), cancellationToken).ConfigureAwait(false);
        }
        catch (StanzaErrorException ex) when (Refusal(ex.Error) is { } refused)
        {
            return new HistoryOutcome.Refused(refused);
        }

        return new HistoryOutcome.Page(HistoryPages.ToDto(results, request, next =>
            next is null ? null : new HistoryCursor(tenant, sessionId, room?.ToString(), request.Filter, next).Seal(dataProtection)));
    }

    /// <summary>
    /// The archive's refusals that mean something else for history than for a raw IQ: an archive the server or room
    /// does not keep is a 409 (asking again will not help, unlike the generic 501/503); registration-required is the
    /// room's "members only" (403). Other conditions keep the gateway-wide mapping (null here).
    /// </summary>
    private static ProblemMapping? Refusal(StanzaError error)
    {
        var status = error.Condition switch
        {
            StanzaErrorCondition.Forbidden or StanzaErrorCondition.NotAuthorized or StanzaErrorCondition.RegistrationRequired => StatusCodes.Status403Forbidden,
            StanzaErrorCondition.ItemNotFound => StatusCodes.Status404NotFound,
            StanzaErrorCondition.FeatureNotImplemented or StanzaErrorCondition.ServiceUnavailable => StatusCodes.Status409Conflict,
            _ => (int?)null,
        };
        if (status is not { } refused)
        {
            return null;
        }

        var unavailable = refused == StatusCodes.Status409Conflict;
        return new ProblemMapping(refused, unavailable ? ProblemCodes.HistoryUnavailable : ProblemCodes.XmppStanzaError, unavailable ? $"The archive is not available: {error}" : error.ToString())
        {
            XmppCondition = error.Condition.ToWire(),
            XmppErrorType = error.Type.ToWire(),
            XmppText = error.Text,
        };
    }
}
