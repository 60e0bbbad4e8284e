using Gateway.Api.Telemetry;
using System.Text;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Endpoints.Iq;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Endpoints.Stanzas;

/// <summary><c>POST /api/v1/sessions/{id}/stanzas</c>: send one raw XML stanza.</summary>
internal static class StanzasApi
{
    public const string ContentType = "application/xmpp+xml";

    public static RouteGroupBuilder MapStanzas(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/stanzas", Post)
            .RequireScope(ApiScopes.Send)
            .CountAcceptedSends("stanza")
            .WithTags(Messages.MessagesApi.Tag)
            .Accepts<string>(ContentType)
            .Documented(
                "SendRawStanza",
                "Send a raw XML stanza",
                "Sends one stanza written as XML, for what the JSON operations do not model. The body (`application/xmpp+xml`, " +
                "UTF-8) must be exactly one `message`, `presence` or `iq` element in `jabber:client`; an element without a " +
                "namespace declaration is read as `jabber:client`. `from` is removed (the server stamps the session's JID); " +
                "an `id` is generated when absent. Refused with 400 and what is wrong: malformed XML, a DTD, comments or " +
                "processing instructions, a stream-level element (`stream:stream`, SASL, TLS, XEP-0198), anything that is " +
                "not a stanza, an invalid address or type.\n\n" +
                "Answers: a message or presence, or an iq `result`/`error` answering a received `iq-request` event, is " +
                "queued: 202 with its id (an answer to no waiting request: 404 `iq-request-not-found`). An iq `get`/`set` " +
                "is sent as a request and its reply returned as `POST /iq` does: 200 with the result, or the error's " +
                "problem. `?wait` works as for messages.",
                Examples.RawMessage,
                new Dictionary<int, object>
                {
                    [202] = Examples.Accepted,
                    [200] = Examples.IqResult,
                    [400] = Examples.Make(400, ProblemCodes.ValidationFailed, "The request is invalid: stanza 'stream' in 'http://etherx.jabber.org/streams' is a stream-level element; only message, presence and iq stanzas can be sent") with
                    {
                        Errors = new Dictionary<string, string[]> { ["stanza"] = ["'stream' in 'http://etherx.jabber.org/streams' is a stream-level element; only message, presence and iq stanzas can be sent"] },
                    },
                })
            .Produces<IqDto>(StatusCodes.Status200OK)
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 501, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="wait"><c>queued</c> (default) or <c>server</c> (XEP-0198 acknowledgement), for queued stanzas.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted<StanzaAcceptedDto>, Ok<IqDto>, ProblemHttpResult>> Post(
        string id, [FromQuery] string? wait, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!IsXmppXml(httpContext.Request.ContentType))
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                $"Send the stanza as {ContentType} (UTF-8).");
        }

        if (!SessionLookup.TryParseWait(wait, out var delivery))
        {
            return GatewayProblems.Validation(httpContext, SessionLookup.InvalidWait);
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        var text = await ReadBodyAsync(httpContext.Request, cancellationToken);
        if (text is null)
        {
            return Invalid(httpContext, $"must be UTF-8 text of at most {XmlInput.MaxStanzaChars} characters");
        }

        if (!XmlInput.TryParseStanza(text, out var element, out var error))
        {
            return Invalid(httpContext, error);
        }

        // RFC 6120 §8.1.2.1: the server stamps 'from' with the sender's full JID; a client-supplied one is at best ignored.
        element.Attribute("from")?.Remove();
        if (string.IsNullOrEmpty((string?)element.Attribute("id")))
        {
            element.SetAttributeValue("id", StanzaId.New());
        }

        if (!StanzaCodec.TryParse(element, out var stanza, out error))
        {
            return Invalid(httpContext, error);
        }

        switch (stanza)
        {
            case Xmpp.Iq { IsRequest: true } request:
                var reply = await session.SendIqAsync(request, timeout: null, cancellationToken);
                return TypedResults.Ok(StanzaMapper.ToDto(reply));
            case Xmpp.Iq answer:
                return await session.AnswerIqAsync(answer, cancellationToken)
                    ? TypedResults.Accepted((string?)null, new StanzaAcceptedDto(answer.Id!, AckedByServer: false))
                    : IqApi.IqRequestNotFound(httpContext, answer.Id!);
            default:
                var receipt = await session.EnqueueAsync(stanza, delivery, cancellationToken);
                return TypedResults.Accepted((string?)null, new StanzaAcceptedDto(receipt.StanzaId, receipt.AckedByServer));
        }
    }

    private static ProblemHttpResult Invalid(HttpContext httpContext, string error) =>
        GatewayProblems.Validation(httpContext, new Dictionary<string, string[]> { ["stanza"] = [error] });

    private static bool IsXmppXml(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
        && (mediaType.Charset.Length == 0 || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>The body as text, or null when it is not UTF-8 or longer than <see cref="XmlInput.MaxStanzaChars"/>.</summary>
    private static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false);
        var buffer = new char[8192];
        var text = new StringBuilder();
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
            {
                text.Append(buffer, 0, read);
                if (text.Length > XmlInput.MaxStanzaChars)
                {
                    return null;
                }
            }
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        // A UTF-8 byte order mark is allowed before the element (XML 1.0 §4.3.3).
        return text.Length > 0 && text[0] == '\uFEFF' ? text.ToString(1, text.Length - 1) : text.ToString();
    }
}
