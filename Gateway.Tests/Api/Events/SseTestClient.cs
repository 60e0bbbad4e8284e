using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Gateway.Tests.Api.Events;

/// <summary>
/// One item of an event stream as a plain client parses it (WHATWG HTML §9.2.6): an event (a blank line dispatched
/// it), or a comment line.
/// </summary>
internal sealed record SseItem(string? Id, string? Event, string? Data, string? Retry, string? Comment)
{
    public long EventId => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);

    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Data!);
            return document.RootElement.Clone();
        }
    }
}

/// <summary>
/// Follows <c>GET …/events</c> with nothing but <see cref="HttpClient"/> and a line reader, as any language's client
/// would; no SSE library. Every item is recorded in arrival order.
/// </summary>
internal sealed class SseTestClient : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly HttpResponseMessage _response;
    private readonly Channel<SseItem> _items = Channel.CreateUnbounded<SseItem>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private int _disposed;

    private SseTestClient(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = Task.Run(() => ReadAsync(body));
    }

    /// <summary>Everything read so far (events, comments), in order.</summary>
    public List<SseItem> Seen { get; } = [];

    /// <summary>Whether the server ended the response.</summary>
    public bool Completed => _reader.IsCompleted;

    /// <summary>Sends the request; the stream when the answer is 200 text/event-stream, else the response to inspect.</summary>
    public static async Task<(HttpResponseMessage Response, SseTestClient? Stream)> OpenAsync(HttpClient client, string url, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        if ((int)response.StatusCode != 200)
        {
            return (response, null);
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return (response, new SseTestClient(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken)));
    }

    /// <summary>The next item of any kind; fails after 10 s, or when the stream ended first.</summary>
    public async Task<SseItem> NextItemAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Patience);
        if (!await _items.Reader.WaitToReadAsync(cts.Token))
        {
            Assert.Fail("The stream ended. Seen: " + string.Join(" | ", Seen));
        }

        var item = await _items.Reader.ReadAsync(cts.Token);
        Seen.Add(item);
        return item;
    }

    /// <summary>The next event (comments and the retry hint skipped).</summary>
    public async Task<SseItem> NextEventAsync()
    {
        while (true)
        {
            var item = await NextItemAsync();
            if (item.Data is not null)
            {
                return item;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> events' ids.</summary>
    public async Task<List<long>> NextIdsAsync(int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await NextEventAsync()).EventId);
        }

        return ids;
    }

    /// <summary>Waits until the server ends the response (after everything it sent was read).</summary>
    public async Task WaitCompletedAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Patience);
        await _reader.WaitAsync(cts.Token);
    }

    /// <summary>Drops the connection, as a client that goes away does.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        _response.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadAsync(Stream body)
    {
        try
        {
            using var reader = new StreamReader(body, Encoding.UTF8);
            string? id = null, name = null, retry = null;
            StringBuilder? data = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null || retry is not null)
                    {
                        _items.Writer.TryWrite(new SseItem(id, name, data?.ToString(), retry, null));
                    }

                    (id, name, retry, data) = (null, null, null, null);
                    continue;
                }

                if (line[0] == ':')
                {
                    _items.Writer.TryWrite(new SseItem(null, null, null, null, line[1..].TrimStart()));
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }

                switch (field)
                {
                    case "id": id = value; break;
                    case "event": name = value; break;
                    case "retry": retry = value; break;
                    case "data": data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value); break;
                }
            }
        }
        finally
        {
            _items.Writer.TryComplete();
        }
    }
}
