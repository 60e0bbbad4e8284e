using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>How a forwarding attempt ended.</summary>
internal enum ForwardOutcome
{
    /// <summary>The owner answered; its answer was streamed to the caller (or the caller went away meanwhile).</summary>
    Answered,

    /// <summary>No connection to the owner: nothing of the request reached it, so it may be sent elsewhere.</summary>
    NotConnected,

    /// <summary>The owner was reached but gave no answer (timeout, connection lost): it may have acted on the request.</summary>
    NoAnswer,

    /// <summary>The owner's answer broke off after its status was sent: the caller's connection was aborted.</summary>
    Broken,
}

/// <summary>
/// Sends a caller's request to the node that runs its session and streams the answer back: method, path and query,
/// headers (<see cref="ForwardedHeaders"/>) and body, streamed both ways, never buffered.
/// </summary>
/// <remarks>
/// A plain <see cref="HttpMessageInvoker"/> on one <see cref="SocketsHttpHandler"/> (pooled connections to every owner),
/// not YARP's <c>IHttpForwarder</c>: the gateway needs to know whether anything reached the owner (only then may it
/// ask the grain again and retry, since the request body is streamed and cannot be replayed once read) and to answer
/// every failure with its own 503 problem details rather than a proxy's 502; the header rules are a dozen lines. No
/// redirects, cookies, proxy or decompression: the answer crosses unchanged.
/// </remarks>
internal sealed class SessionForwarder : IDisposable
{
    private readonly HttpMessageInvoker _client;
    private readonly TimeSpan _responseTimeout;

    public SessionForwarder(IOptions<ClusterForwardingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _responseTimeout = options.Value.ResponseTimeout;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectTimeout = options.Value.ConnectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,

            // Owners come and go (and change address): do not keep a connection to one forever.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        });
    }

    /// <summary>The URL at the owner: its base address (with any path prefix) followed by the caller's path and query.</summary>
    public static Uri TargetUri(Uri ownerBase, PathString path, QueryString query)
    {
        ArgumentNullException.ThrowIfNull(ownerBase);
        var prefix = ownerBase.AbsolutePath.TrimEnd('/');
        return new Uri(ownerBase.GetLeftPart(UriPartial.Authority) + prefix + path.ToUriComponent() + query.ToUriComponent());
    }

    /// <summary>Forwards the request; writes the owner's answer to <paramref name="context"/> when there is one.</summary>
    public async Task<ForwardOutcome> ForwardAsync(HttpContext context, Uri target, string marker)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        var body = HasBody(context) ? new ReadWatchStream(context.Request.Body) : null;
        if (body is not null)
        {
            request.Content = new StreamContent(body);
        }

        ForwardedHeaders.CopyToRequest(context.Request.Headers, request);
        request.Headers.TryAddWithoutValidation(ForwardingMarker.HeaderName, marker);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(_responseTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (IsNotConnected(ex) && !context.RequestAborted.IsCancellationRequested && body?.Started != true)
        {
            return ForwardOutcome.NotConnected;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            return ForwardOutcome.NoAnswer;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            ForwardedHeaders.CopyToResponse(response, context.Response.Headers);
            try
            {
                // Streamed as it comes, however long: the response timeout covers the wait for the owner's headers.
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
            {
                // Status and headers are out: the only honest signal left is a broken connection.
                context.Abort();
                return ForwardOutcome.Broken;
            }
        }

        return ForwardOutcome.Answered;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Whether a request can carry a body (Kestrel knows: Content-Length above 0, or chunked).</summary>
    private static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;

    /// <summary>
    /// No connection was made: refused, unreachable, or the connect timeout (which SocketsHttpHandler reports as a
    /// cancellation whose inner exception is a <see cref="TimeoutException"/>).
    /// </summary>
    private static bool IsNotConnected(Exception ex) => ex switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        HttpRequestException { InnerException: SocketException } => true,
        OperationCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    /// <summary>A read-only view of the caller's body that records whether any of it was read (sent on).</summary>
    private sealed class ReadWatchStream(Stream inner) : Stream
    {
        public bool Started { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Started = true;
            return inner.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Started = true;
            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
