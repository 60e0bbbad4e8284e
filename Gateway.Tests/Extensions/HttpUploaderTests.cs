using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Xmpp.HttpUpload;

namespace Gateway.Tests.Extensions;

/// <summary>The upload PUT: address policy, headers from the slot, streamed body. Loopback only.</summary>
[Trait("Tier", "Unit")]
public sealed class HttpUploaderTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0363 §8")]
    public async Task PutAsync_LoopbackWithoutOverride_RefusedBeforeConnecting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var uploader = new HttpUploader(allowPrivateAddresses: false);
        var slot = new UploadSlot(new Uri($"http://upload.localhost:{port}/f"), new Uri($"http://upload.localhost:{port}/f"), []);

        var refused = await Assert.ThrowsAsync<HttpUploadException>(() => uploader.PutAsync(slot, new MemoryStream([1, 2, 3]), 3, "text/plain", Token));

        Assert.Contains("AllowHostOverride", refused.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    [Trait("Spec", "XEP-0363 §6")]
    public async Task PutAsync_SendsTheSlotsHeadersAndTheBody_FailsOnErrorStatus()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var uploader = new HttpUploader(allowPrivateAddresses: true);
        var slot = new UploadSlot(new Uri($"http://upload.localhost:{port}/f"), new Uri($"http://upload.localhost:{port}/f"),
            [new("Authorization", "Bearer abc"), new("Expires", "Tue, 01 Jan 2030 00:00:00 GMT")]);

        var server = AnswerOnceAsync(listener, "201 Created");
        await uploader.PutAsync(slot, new MemoryStream(Encoding.ASCII.GetBytes("hello")), 5, "text/plain", Token);
        var request = await server;

        Assert.StartsWith("PUT /f HTTP/1.1", request, StringComparison.Ordinal);
        Assert.Contains("Authorization: Bearer abc", request, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 5", request, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain", request, StringComparison.Ordinal);
        Assert.EndsWith("hello", request, StringComparison.Ordinal);

        var failing = AnswerOnceAsync(listener, "413 Payload Too Large");
        var failed = await Assert.ThrowsAsync<HttpUploadException>(() => uploader.PutAsync(slot with { Headers = ImmutableArray<KeyValuePair<string, string>>.Empty }, new MemoryStream([1]), 1, "x", Token));
        await failing;
        Assert.Equal(413, failed.StatusCode);
        Assert.False(failed.IsTransient);
    }

    /// <summary>Reads one request (headers and a Content-Length body) and answers with <paramref name="status"/>.</summary>
    private static async Task<string> AnswerOnceAsync(TcpListener listener, string status)
    {
        using var socket = await listener.AcceptSocketAsync(Token);
        await using var stream = new NetworkStream(socket);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, Token);
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            var text = received.ToString();
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var length = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } header
                    ? int.Parse(header["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
                    : 0;
                if (text.Length >= end + 4 + length || read == 0)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), Token);
                    return text;
                }
            }
        }
    }
}
