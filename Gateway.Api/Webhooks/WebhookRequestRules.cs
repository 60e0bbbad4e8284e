using System.Collections.Immutable;
using Gateway.Api.Contracts;

namespace Gateway.Api.Webhooks;

/// <summary>Validation of webhook requests: errors keyed by JSON field, as <see cref="Errors.GatewayProblems.Validation"/> wants them.</summary>
internal static class WebhookRequestRules
{
    public const int MaxUrlLength = 2_048;
    public const int MaxDescriptionLength = 256;
    public const int MaxSessions = 100;

    /// <summary>Every kind a webhook may ask for (<see cref="EventKinds"/>).</summary>
    public static readonly ImmutableArray<string> KnownKinds =
    [
        EventKinds.Message, EventKinds.Presence, EventKinds.RosterPush, EventKinds.IqRequest, EventKinds.SessionState,
        EventKinds.MessageStatus, EventKinds.BlocklistPush, EventKinds.RoomMessage, EventKinds.RoomOccupant,
        EventKinds.RoomSubject, EventKinds.RoomState,
    ];

    public static Uri? Url(string? value, bool allowHttp, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors["url"] = ["is required"];
            return null;
        }

        if (value.Length > MaxUrlLength)
        {
            errors["url"] = [$"must be at most {MaxUrlLength} characters"];
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || string.IsNullOrEmpty(url.Host))
        {
            errors["url"] = ["must be an absolute URL"];
            return null;
        }

        if (url.Scheme != Uri.UriSchemeHttps && !(allowHttp && url.Scheme == Uri.UriSchemeHttp))
        {
            errors["url"] = [allowHttp ? "must be https:// or http://" : $"must be https:// (plain http:// only where {WebhookOptions.Section}:AllowHttp is on)"];
            return null;
        }

        if (url.UserInfo.Length > 0)
        {
            // Credentials in the URL would be stored and shown in clear: receivers authenticate the signature instead.
            errors["url"] = ["must not contain user info (user:password@); verify the webhook signature instead"];
            return null;
        }

        if (url.Fragment.Length > 0)
        {
            errors["url"] = ["must not contain a fragment"];
            return null;
        }

        return url;
    }

    /// <summary>Null (all) or distinct known kinds; an empty list is refused (null means all).</summary>
    public static ImmutableArray<string> Events(string[]? values, Dictionary<string, string[]> errors)
    {
        if (values is null)
        {
            return default;
        }

        if (values.Length == 0)
        {
            errors["events"] = ["must not be empty: leave it null for all kinds"];
            return default;
        }

        var unknown = values.Where(v => !KnownKinds.Contains(v, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
        {
            errors["events"] = [$"unknown kind(s) {string.Join(", ", unknown.Take(5).Select(u => $"'{Errors.GatewayProblems.Truncate(u ?? "null", 40)}'"))}; known: {string.Join(", ", KnownKinds)}"];
            return default;
        }

        return [.. values.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Null (all) or up to <see cref="MaxSessions"/> valid session ids.</summary>
    public static ImmutableArray<string> Sessions(string[]? values, Dictionary<string, string[]> errors)
    {
        if (values is null)
        {
            return default;
        }

        if (values.Length == 0 || values.Length > MaxSessions)
        {
            errors["sessions"] = [$"must hold 1 to {MaxSessions} session ids: leave it null for all sessions"];
            return default;
        }

        if (values.Any(v => !InputRules.IsValidSessionId(v)))
        {
            errors["sessions"] = ["must be session ids (a letter or digit, then up to 63 letters, digits, '_' or '-')"];
            return default;
        }

        return [.. values.Distinct(StringComparer.Ordinal)];
    }

    public static string? Description(string? value, Dictionary<string, string[]> errors)
    {
        if (value is not null && value.Length > MaxDescriptionLength)
        {
            errors["description"] = [$"must be at most {MaxDescriptionLength} characters"];
        }

        return value;
    }
}
