using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Endpoints.Uploads;

/// <summary><c>POST /api/v1/sessions/{id}/uploads</c>: share a file through the server's upload service (XEP-0363).</summary>
internal static class UploadsApi
{
    /// <summary>The largest request the gateway reads, whatever the server allows: 100 MiB of file plus the form around it.</summary>
    public const long MaxFileBytes = 100L * 1024 * 1024;

    /// <summary>What a multipart form adds around the file at most (boundaries, part headers, the small fields).</summary>
    private const long FormOverhead = 64 * 1024;

    private const int MaxFileNameChars = 200;

    public static RouteGroupBuilder MapUploads(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/uploads", Post)
            .RequireScope(ApiScopes.Send)
            .WithTags(Messages.MessagesApi.Tag)
            .Accepts<UploadForm>("multipart/form-data")
            .WithRequestBodyLimit(MaxFileBytes + FormOverhead)
            .Documented(
                "UploadFile",
                "Upload a file and send its link",
                "One call shares a file (`multipart/form-data`: `file`, `to`, optional `type` chat|normal|groupchat and " +
                "`desc`): the gateway finds the server's upload service (XEP-0363 §3, disco), asks it for a slot, PUTs the " +
                "bytes to the slot's URL with the headers the slot names (only Authorization, Cookie and Expires, §5), and " +
                "sends `to` a message whose body is the download URL, with XEP-0066 out-of-band data (`jabber:x:oob`, with " +
                "`desc`): the form clients show inline. 201 with the message id (its delivery status as for any message) " +
                "and the URL.\n\n" +
                $"413 when the file is larger than the service's `max-file-size` (checked before anything is uploaded) or " +
                $"than the gateway's own {MaxFileBytes / (1024 * 1024)} MiB; 409 `feature-not-supported` when the server " +
                "offers no upload service; 502 `upload-failed` when the HTTP upload failed (including an upload host that " +
                "resolves to a loopback or private address, refused unless Gateway:Pool:AllowHostOverride is on, which also " +
                "admits plain-HTTP slot URLs for test setups).",
                Examples.UploadForm,
                new Dictionary<int, object> { [201] = Examples.UploadResult, [409] = Examples.UploadNotSupported, [413] = Examples.UploadTooLarge })
            .Produces<UploadResultDto>(StatusCodes.Status201Created)
            .ProducesProblems(400, 404, 409, 413, 415, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Created<UploadResultDto>, ProblemHttpResult>> Post(string id, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!httpContext.Request.HasFormContentType || !httpContext.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                "Send the file as multipart/form-data with the fields file and to.");
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        // The service's limit first: a request that cannot fit is refused before its body is read.
        var service = await session.Account.GetUploadServiceAsync(cancellationToken);
        if (service.MaxFileSize is { } serverMax && httpContext.Request.ContentLength > serverMax + FormOverhead)
        {
            return TooLarge(httpContext, httpContext.Request.ContentLength.Value, serverMax);
        }

        // Files beyond 64 KiB are buffered to a temporary file by the form reader (the slot request needs the size
        // before the upload starts), never whole in memory; the endpoint's body limit bounds them.
        httpContext.Features.Set<IFormFeature>(new FormFeature(httpContext.Request, new FormOptions
        {
            MultipartBodyLengthLimit = MaxFileBytes + FormOverhead,
            ValueCountLimit = 16,
            ValueLengthLimit = 4096,
        }));
        var form = await httpContext.Request.ReadFormAsync(cancellationToken);
        var errors = new Dictionary<string, string[]>();
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0 || form.Files.Count != 1)
        {
            errors["file"] = ["is required: exactly one non-empty file part named file"];
        }

        var to = RequestMapper.RequiredJid(form["to"].Count == 1 ? form["to"][0] : null, "to", errors);
        var type = Type(form["type"].Count == 0 ? null : form["type"][0], errors);
        var desc = form["desc"].Count == 0 ? null : form["desc"][0];
        if (desc is not null && (desc.Length > 1024 || !XmlInput.IsXmlText(desc)))
        {
            errors["desc"] = ["must be text of at most 1024 characters without control characters"];
        }

        if (errors.Count > 0 || file is null || to is null)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (file.Length > (service.MaxFileSize ?? MaxFileBytes) || file.Length > MaxFileBytes)
        {
            return TooLarge(httpContext, file.Length, Math.Min(service.MaxFileSize ?? MaxFileBytes, MaxFileBytes));
        }

        var upload = new FileUpload(to, FileName(file.FileName), file.Length, ContentType(file.ContentType)) { MessageType = type, Description = desc };
        await using var content = file.OpenReadStream();
        var result = await session.Account.UploadAsync(upload, content, cancellationToken);
        var dto = new UploadResultDto(result.MessageId, result.Url.AbsoluteUri, upload.FileName, upload.Size, upload.ContentType);
        return TypedResults.Created($"{Sessions.SessionsApi.Location(id)}/messages/{Uri.EscapeDataString(result.MessageId)}", dto);
    }

    /// <summary>A name the upload service and the recipient can use: no path, no control characters, bounded.</summary>
    internal static string FileName(string? name)
    {
        var leaf = Path.GetFileName((name ?? "").Replace('\\', '/'));
        var clean = new string([.. leaf.Where(c => !char.IsControl(c) && c is not ('/' or '\\' or '"'))]).Trim();
        if (clean.Length > MaxFileNameChars)
        {
            var extension = Path.GetExtension(clean);
            clean = clean[..(MaxFileNameChars - Math.Min(extension.Length, 20))] + (extension.Length <= 20 ? extension : "");
        }

        return clean is "" or "." or ".." ? "file" : clean;
    }

    private static string ContentType(string? value) =>
        MediaTypeHeaderValue.TryParse(value, out var media) && media.MediaType.Value is { } type && type.Contains('/', StringComparison.Ordinal)
            ? type
            : "application/octet-stream";

    private static MessageType Type(string? value, Dictionary<string, string[]> errors)
    {
        switch (value)
        {
            case null or "" or "chat":
                return MessageType.Chat;
            case "normal":
                return MessageType.Normal;
            case "groupchat":
                return MessageType.Groupchat;
            default:
                errors["type"] = ["must be chat, normal or groupchat"];
                return MessageType.Chat;
        }
    }

    private static ProblemHttpResult TooLarge(HttpContext httpContext, long size, long max) =>
        GatewayProblems.Result(httpContext, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge,
            $"The file ({size} bytes) is larger than the {max} bytes the account's upload service takes.");

    /// <summary>The form of an upload, for the OpenAPI document.</summary>
    internal sealed record UploadForm
    {
        /// <summary>The file; its name and content type travel with it.</summary>
        public required IFormFile File { get; init; }

        /// <summary>Who gets the link: a JID (a room's bare JID with type groupchat).</summary>
        public required string To { get; init; }

        /// <summary>chat (default), normal or groupchat.</summary>
        public string? Type { get; init; }

        /// <summary>A description, sent as the XEP-0066 desc.</summary>
        public string? Desc { get; init; }
    }
}
