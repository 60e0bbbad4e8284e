using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Avatar;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Endpoints.Profile;

/// <summary><c>/api/v1/sessions/{id}/avatar</c>: avatars (XEP-0084 User Avatar, through PEP).</summary>
internal static class AvatarApi
{
    private const string ImageTypes = "image/png or image/jpeg";

    public static RouteGroupBuilder MapAvatar(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/avatar", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(VCardApi.Tag)
            .Documented(
                "GetAvatar",
                "Get an avatar image",
                "The avatar image of `?jid=` (a bare JID), or the account's own without it, from its PEP service (XEP-0084 " +
                "§5): the bytes, with the image's content type (PNG or JPEG as recognised from the bytes; anything else is " +
                "served as application/octet-stream) and its SHA-1 id as ETag (`If-None-Match` answers 304). The data " +
                "is checked against the id. 404 `avatar-not-found` when there is no avatar (or only one at an HTTP URL, see " +
                "the metadata); the owner's server may answer 404 `item-not-found` or 403 when the node does not exist or " +
                "the account may not see it (by default PEP shares with presence subscribers only).",
                responseExamples: new Dictionary<int, object> { [200] = Examples.AvatarBytes, [404] = Examples.AvatarNotFound })
            .Produces<byte[]>(StatusCodes.Status200OK, ImageInspector.Png, ImageInspector.Jpeg, "application/octet-stream")
            .ProducesProblems(400, 403, 404, 409, 429, 502, 503, 504);

        group.MapGet("/{id}/avatar/metadata", GetMetadata)
            .RequireScope(ApiScopes.Read)
            .WithTags(VCardApi.Tag)
            .Documented(
                "GetAvatarMetadata",
                "Get an avatar's metadata",
                "The avatar metadata of `?jid=` (a bare JID), or the account's own without it (XEP-0084 §5.1): id (SHA-1), " +
                "type, size and, when known, pixel size and an HTTP URL. 404 `avatar-not-found` when there is none.",
                responseExamples: new Dictionary<int, object> { [200] = Examples.Avatar, [404] = Examples.AvatarNotFound })
            .ProducesProblems(400, 403, 404, 409, 429, 502, 503, 504);

        group.MapPut("/{id}/avatar", Put)
            .RequireScope(ApiScopes.Send)
            .WithTags(VCardApi.Tag)
            .Accepts<byte[]>(ImageInspector.Png, ImageInspector.Jpeg)
            .WithRequestBodyLimit(UserAvatar.MaxBytes)
            .Documented(
                "PutAvatar",
                "Set the account's avatar",
                $"Publishes the request body, a PNG or JPEG image of at most {UserAvatar.MaxBytes / 1024} KiB, as the account's avatar " +
                "(XEP-0084 §4: the data, then the metadata, in the account's PEP service with the server's default access, " +
                "usually presence subscribers). 200 with the metadata: the id is the image's SHA-1. 415 for another content " +
                "type; 400 when the bytes are not the image type named; 413 when larger.",
                Examples.AvatarBytes,
                new Dictionary<int, object> { [200] = Examples.Avatar })
            .ProducesProblems(400, 404, 409, 413, 415, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">Whose avatar (a bare JID); the account's own when left out.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Get(string id, [FromQuery] string? jid, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!AccountJids.TryParseOwner(jid, out var owner, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (await session.Account.GetAvatarAsync(owner, cancellationToken) is not { } avatar)
        {
            return NotFound(httpContext, owner);
        }

        // The owner names the type: served as that only when the bytes are that image, so a contact cannot make the
        // gateway serve, say, HTML from its own origin.
        var type = ImageInspector.TryInspect(avatar.Data.Span, out var actual, out _, out _) ? actual : "application/octet-stream";
        return TypedResults.Bytes(avatar.Data, type, entityTag: new EntityTagHeaderValue($"\"{avatar.Info.Id}\""));
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">Whose avatar (a bare JID); the account's own when left out.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<AvatarDto>, ProblemHttpResult>> GetMetadata(string id, [FromQuery] string? jid, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!AccountJids.TryParseOwner(jid, out var owner, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        return await session.Account.GetAvatarInfoAsync(owner, cancellationToken) is { } info
            ? TypedResults.Ok(AccountMapper.ToDto(owner ?? session.Info.Jid, info))
            : NotFound(httpContext, owner);
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<AvatarDto>, ProblemHttpResult>> Put(string id, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        var declared = MediaTypeHeaderValue.TryParse(httpContext.Request.ContentType, out var media) ? media.MediaType.Value : null;
        if (declared is not (ImageInspector.Png or ImageInspector.Jpeg))
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                $"Send the avatar as {ImageTypes}.");
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        using var buffer = new MemoryStream();
        await httpContext.Request.Body.CopyToAsync(buffer, cancellationToken); // bounded by the endpoint's body limit
        var image = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (image.IsEmpty || !ImageInspector.TryInspect(image.Span, out var actual, out _, out _) || actual != declared)
        {
            return GatewayProblems.Validation(httpContext, new Dictionary<string, string[]> { ["body"] = [$"must be a {declared} image (the bytes are not one)"] });
        }

        var info = await session.Account.SetAvatarAsync(image, cancellationToken);
        return TypedResults.Ok(AccountMapper.ToDto(session.Info.Jid, info));
    }

    private static ProblemHttpResult NotFound(HttpContext httpContext, Xmpp.Jid? owner) =>
        GatewayProblems.Result(httpContext, StatusCodes.Status404NotFound, ProblemCodes.AvatarNotFound,
            owner is null ? "The account has no avatar in its PEP service." : $"{owner} has no avatar in its PEP service, or only one at an HTTP URL (see the metadata).");
}
