using System.Globalization;
using Gateway.Xmpp;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Endpoints.History;

/// <summary>A validated history read: what to select, how many, and where to continue.</summary>
/// <param name="Filter">Filters and order (from the query string, or from the cursor).</param>
/// <param name="Limit">Items on the page.</param>
/// <param name="RsmId">The archive id to continue from (after it oldest first, before it newest first); null for the first page.</param>
internal sealed record HistoryRequest(HistoryFilter Filter, int Limit, string? RsmId)
{
    public const int DefaultLimit = 50;

    /// <summary>The instant formats taken: XEP-0082 / ISO 8601 date-time with or without offset (UTC then), or a date.</summary>
    private static readonly string[] InstantFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd"];

    /// <summary>The query string parameters, as given.</summary>
    public sealed record Parameters(string? With, string? Start, string? End, string? Limit, string? Order, string? Cursor);

    /// <summary>
    /// Validates the parameters of a read of <paramref name="room"/>'s archive (null: the account's own) on the
    /// session; every problem is named by its parameter. With a cursor the filters and order are the cursor's: any
    /// given too must be the same.
    /// </summary>
    public static bool TryParse(Parameters parameters, string tenant, string sessionId, Jid? room, int maxLimit, IDataProtectionProvider dataProtection, out HistoryRequest? request, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        errors = [];
        request = null;
        var limit = DefaultLimit;
        if (parameters.Limit is not null && (!int.TryParse(parameters.Limit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
        {
            errors["limit"] = [$"must be an integer from 1 to {maxLimit}"];
        }

        bool? newestFirst = parameters.Order switch
        {
            null => null,
            "newest" => true,
            "oldest" => false,
            _ => Error(errors, "order", "must be newest or oldest"),
        };

        string? with = null;
        if (parameters.With is not null)
        {
            if (Jid.TryParse(parameters.With, out var withJid))
            {
                with = withJid.ToString();
            }
            else
            {
                errors["with"] = ["must be a JID"];
            }
        }

        var start = Instant(parameters.Start, "start", errors);
        var end = Instant(parameters.End, "end", errors);
        if (start is not null && end is not null && start > end)
        {
            errors["start"] = ["must not be after end"];
        }

        var filter = new HistoryFilter(with, start, end, newestFirst ?? true);
        string? rsmId = null;
        if (parameters.Cursor is not null)
        {
            if (!HistoryCursor.TryOpen(dataProtection, parameters.Cursor, out var cursor)
                || cursor!.Tenant != tenant || cursor.SessionId != sessionId || cursor.Room != room?.ToString())
            {
                errors["cursor"] = ["is not a cursor this gateway issued for this archive"];
            }
            else if ((parameters.With is not null && with != cursor.Filter.With)
                || (parameters.Start is not null && start != cursor.Filter.Start)
                || (parameters.End is not null && end != cursor.Filter.End)
                || (newestFirst is not null && newestFirst != cursor.Filter.NewestFirst))
            {
                errors["cursor"] = ["belongs to a query with other filters or another order: leave them out or repeat them unchanged"];
            }
            else
            {
                filter = cursor.Filter;
                rsmId = cursor.RsmId;
            }
        }

        if (errors.Count > 0)
        {
            return false;
        }

        request = new HistoryRequest(filter, limit, rsmId);
        return true;
    }

    /// <summary>The XEP-0313 query for this page: RSM after the cursor's id oldest first; before it (or the end) newest first.</summary>
    public ArchiveQuery ToQuery(Jid? room) => new(Limit)
    {
        Archive = room,
        With = Filter.With is null ? null : Jid.Parse(Filter.With),
        Start = Filter.Start,
        End = Filter.End,
        After = Filter.NewestFirst ? null : RsmId,

        // XEP-0059 §2.5: an empty <before/> asks for the last page.
        Before = Filter.NewestFirst ? RsmId ?? string.Empty : null,
    };

    private static bool? Error(Dictionary<string, string[]> errors, string name, string message)
    {
        errors[name] = [message];
        return null;
    }

    private static DateTimeOffset? Instant(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParseExact(value, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        errors[name] = ["must be an ISO 8601 date-time, e.g. 2025-01-31T09:30:00Z"];
        return null;
    }
}
