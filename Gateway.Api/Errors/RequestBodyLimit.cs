using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Gateway.Api.Errors;

/// <summary>
/// Caps request bodies under <c>/api</c> at <see cref="MaxBytes"/>, or at the endpoint's own limit
/// (<see cref="RequestBodyLimit.WithRequestBodyLimit"/>): a declared Content-Length above it is refused at once, and
/// a body without one (chunked) fails with 413 as soon as it grows past it, on any server (Kestrel's own limit is set
/// too where the server lets us). Routing runs first (WebApplication puts it at the start of the pipeline), so the
/// endpoint is known here.
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next)
{
    /// <summary>1 MiB: far above any stanza a server accepts (Prosody's default c2s limit is 256 KiB).</summary>
    public const long MaxBytes = 1024 * 1024;

    public Task InvokeAsync(HttpContext httpContext)
    {
        if (httpContext.Request.Path.StartsWithSegments("/api"))
        {
            var limit = httpContext.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? MaxBytes;
            if (httpContext.Request.ContentLength > limit)
            {
                throw TooLarge(limit);
            }

            if (httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }

            httpContext.Request.Body = new LimitedReadStream(httpContext.Request.Body, limit);
        }

        return next(httpContext);
    }

    internal static BadHttpRequestException TooLarge(long limit) =>
        new($"The request body is larger than {limit / 1024} KiB.", StatusCodes.Status413PayloadTooLarge);

    /// <summary>Counts what is read and fails once the count passes the limit.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw TooLarge(limit) : read;
        }
    }
}

/// <summary>Endpoint metadata: a body limit of its own instead of <see cref="RequestBodyLimitMiddleware.MaxBytes"/>.</summary>
internal sealed record RequestBodyLimitMetadata(long MaxBytes) : IRequestSizeLimitMetadata
{
    long? IRequestSizeLimitMetadata.MaxRequestBodySize => MaxBytes;
}

internal static class RequestBodyLimit
{
    /// <summary>Sets the endpoint's body limit; larger than the default only where an operation needs it (a batch).</summary>
    public static RouteHandlerBuilder WithRequestBodyLimit(this RouteHandlerBuilder builder, long maxBytes) =>
        builder.WithMetadata(new RequestBodyLimitMetadata(maxBytes));
}
