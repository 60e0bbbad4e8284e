// XEP-0363: HTTP File Upload (v1.1.0) §6 (upload), §8 (security considerations)
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Gateway.Xmpp.Transport;

namespace Gateway.Xmpp.HttpUpload;

/// <summary>
/// PUTs files to upload slots. The slot URL comes from a server, so it is treated like any address derived from the
/// network: its host is resolved here and each address checked against the <see cref="AddressPolicy"/> (loopback,
/// private, link-local… refused unless the operator allows private addresses), the connection goes to the checked
/// address (no second lookup: DNS rebinding), no proxy and no redirects (either would bypass the check). Timeouts are
/// bounded: connecting, and the whole upload. The body is streamed, never buffered here.
/// </summary>
public sealed class HttpUploader : IDisposable
{
    /// <summary>How long connecting to the upload host may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long one upload may take from the request to the answer.</summary>
    public static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(10);

    private static readonly Lazy<HttpUploader> PublicOnly = new(() => new HttpUploader(allowPrivateAddresses: false));
    private static readonly Lazy<HttpUploader> AnyAddress = new(() => new HttpUploader(allowPrivateAddresses: true));

    private readonly HttpClient _http;
    private readonly IHostAddressResolver _resolver;

    /// <param name="allowPrivateAddresses">Also reach loopback and private addresses (test and development setups).</param>
    /// <param name="resolver">Resolves the slot's host; the system's DNS when null.</param>
    public HttpUploader(bool allowPrivateAddresses, IHostAddressResolver? resolver = null)
    {
        AllowPrivateAddresses = allowPrivateAddresses;
        _resolver = resolver ?? DnsHostAddressResolver.Instance;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>One shared uploader per policy: an HttpClient is meant to be long-lived.</summary>
    public static HttpUploader Shared(bool allowPrivateAddresses) => allowPrivateAddresses ? AnyAddress.Value : PublicOnly.Value;

    public bool AllowPrivateAddresses { get; }

    /// <summary>PUTs <paramref name="length"/> bytes of <paramref name="content"/> to the slot (XEP-0363 §6) with its headers.</summary>
    /// <exception cref="HttpUploadException">Refused address, network failure, timeout, or a status other than 2xx.</exception>
    public async Task PutAsync(UploadSlot slot, Stream content, long length, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentNullException.ThrowIfNull(content);
        using var request = new HttpRequestMessage(HttpMethod.Put, slot.PutUrl) { Content = new StreamContent(content) };

        // §6: Content-Type and Content-Length as announced in the slot request; the service may check both.
        request.Content.Headers.ContentLength = length;
        request.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
        foreach (var (name, value) in slot.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(UploadTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpUploadException($"Uploading to {slot.PutUrl.Host} took longer than {UploadTimeout.TotalMinutes:0} minutes.", innerException: ex);
        }
        catch (HttpRequestException ex)
        {
            throw new HttpUploadException($"Uploading to {slot.PutUrl.Host} failed: {(ex.InnerException as HttpUploadException)?.Message ?? ex.Message}", innerException: ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpUploadException($"The upload service at {slot.PutUrl.Host} answered {(int)response.StatusCode} {response.ReasonPhrase}.", (int)response.StatusCode);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        return PolicyCheckedConnector.ConnectAsync(context.DnsEndPoint, _resolver, AllowPrivateAddresses, Fail, cancellationToken);

        HttpUploadException Fail(PolicyConnectFailure failure, SocketException? last) => failure switch
        {
            PolicyConnectFailure.DoesNotResolve => new HttpUploadException($"The upload host {host} does not resolve."),
            PolicyConnectFailure.OnlyRestrictedAddresses => new HttpUploadException($"The upload host {host} resolves only to loopback, private or otherwise restricted addresses; the gateway reaches those only with Gateway:Pool:AllowHostOverride."),
            _ => new HttpUploadException($"The upload host {host} could not be reached.", innerException: last),
        };
    }
}
