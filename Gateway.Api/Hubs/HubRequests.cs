using System.Diagnostics.CodeAnalysis;
using Gateway.Api.Contracts;
using Gateway.Api.Endpoints;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Hubs;

/// <summary>
/// Validates hub requests and turns them into stanzas with the REST API's <see cref="RequestMapper"/>, so both
/// faces accept exactly the same input and say the same things about bad input. Pure: no I/O.
/// </summary>
internal static class HubRequests
{
    public static bool TryCreate(SendMessageRequest request, [NotNullWhen(true)] out Message? message, out DeliveryWait wait, out RecipientReports reports, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rest = new PostMessageRequest
        {
            To = request.To!, Type = request.Type, Body = request.Body, Subject = request.Subject, Thread = request.Thread,
            Lang = request.Lang, Payloads = request.Payloads, Id = request.Id, ChatState = request.ChatState,
            Replaces = request.Replaces, Retracts = request.Retracts, ReplyTo = request.ReplyTo, Reactions = request.Reactions,
            Oob = request.Oob, Displayed = request.Displayed, NoCopy = request.NoCopy, RequestReceipts = request.RequestReceipts,
        };
        var ok = RequestMapper.TryCreateMessage(rest, out message, out errors);
        reports = RequestMapper.Reports(rest);
        wait = Wait(request.Wait, errors);
        if (IdempotencyKeys.Validate(request.IdempotencyKey) is { } invalid)
        {
            errors["idempotencyKey"] = [invalid];
        }

        return ok && errors.Count == 0;
    }

    public static bool TryCreate(SendPresenceRequest request, [NotNullWhen(true)] out Presence? presence, out DeliveryWait wait, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rest = new PostPresenceRequest
        {
            To = request.To, Type = request.Type, Show = request.Show, Status = request.Status, Priority = request.Priority,
            Lang = request.Lang, Payloads = request.Payloads, Id = request.Id,
        };
        var ok = RequestMapper.TryCreatePresence(rest, out presence, out errors);
        wait = Wait(request.Wait, errors);
        return ok && errors.Count == 0;
    }

    public static bool TryCreate(SendIqRequest request, [NotNullWhen(true)] out Iq? iq, out TimeSpan? timeout, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Type is not (null or "get" or "set"))
        {
            (iq, timeout, errors) = (null, null, new() { ["type"] = ["must be get or set; answer a received request with AnswerIq"] });
            return false;
        }

        var rest = new PostIqRequest { Type = request.Type ?? "get", To = request.To, Payload = request.Payload, TimeoutSeconds = request.TimeoutSeconds };
        return RequestMapper.TryCreateIq(rest, out iq, out _, out timeout, out errors);
    }

    public static bool TryCreate(AnswerIqRequest request, [NotNullWhen(true)] out Iq? iq, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Type is not (null or "result" or "error"))
        {
            (iq, errors) = (null, new() { ["type"] = ["must be result or error; send a request with SendIq"] });
            return false;
        }

        var rest = new PostIqRequest { Type = request.Type ?? "result", Id = request.Id, To = request.To, Payload = request.Payload, Error = request.Error };
        return RequestMapper.TryCreateIq(rest, out iq, out _, out _, out errors);
    }

    private static DeliveryWait Wait(string? wait, Dictionary<string, string[]> errors)
    {
        if (!SessionLookup.TryParseWait(wait, out var delivery))
        {
            errors["wait"] = SessionLookup.InvalidWait["wait"];
        }

        return delivery;
    }
}
