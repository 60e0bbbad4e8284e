using System.Buffers;
using System.Net.Http.Headers;
using Gateway.Xmpp.Transport;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Sends one signed POST and returns the receiver's status. One <see cref="HttpClient"/> for all webhooks: its
/// handler keeps a connection pool per origin, so endpoints do not share connections. No proxy, no redirects (a
/// redirect would lead past the address check, and a 3xx is a failed attempt), no cookies; connecting is checked by
/// <see cref="WebhookConnector"/>. At most <see cref="WebhookOptions.MaxResponseBytes"/> of a response body are read.
/// </summary>
internal sealed class WebhookHttpClient : IDisposable
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly int _maxResponseBytes;

    public WebhookHttpClient(IOptions<WebhookOptions> options, ILogger<WebhookHttpClient> logger, IHostAddressResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _maxResponseBytes = settings.MaxResponseBytes;
        var connector = new WebhookConnector(settings.AllowPrivateAddresses, resolver ?? DnsHostAddressResolver.Instance, logger);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = settings.ConnectTimeout,
            MaxResponseHeadersLength = 16,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = connector.ConnectAsync,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("xmpp-http-gateway-webhooks", "1"));
    }

    /// <summary>POSTs <paramref name="body"/>, signed; returns the status code once at most the allowed part of the body is read.</summary>
    /// <exception cref="HttpRequestException">No response (refused address, connection failure, a broken response).</exception>
    public async Task<int> PostAsync(Uri url, string messageId, long timestamp, string signature, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation(IdHeader, messageId);
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(SignatureHeader, signature);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await DrainAsync(response, cancellationToken);
        return (int)response.StatusCode;
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Reads (and drops) a bounded part of the body; a longer one is cut off by disposing the response.</summary>
    private async Task DrainAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (_maxResponseBytes == 0)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(_maxResponseBytes, 4_096));
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var remaining = _maxResponseBytes;
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(remaining, buffer.Length)), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                remaining -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
