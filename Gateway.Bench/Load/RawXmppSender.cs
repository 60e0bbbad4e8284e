using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Bench.Load;

/// <summary>
/// An XMPP sender on a raw socket: it logs in (SASL PLAIN on a plaintext loopback stream, resource binding) and then
/// writes pre-encoded chat messages, many per write, patching only the sequence number and timestamp of each. This
/// way one client saturates Prosody without spending the CPU a full client would. It reads (and discards) what the
/// server sends back, counting error stanzas (bounces).
/// </summary>
internal sealed class RawXmppSender : IAsyncDisposable
{
    private const int MaxBatch = 64;
    private static readonly TimeSpan NegotiationTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A write the server does not take in this time fails the phase instead of hanging it.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(60);
    private static readonly byte[] ErrorType = "type='error'"u8.ToArray();
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _negotiation = new();
    private Task _reader = Task.CompletedTask;
    private long _errorStanzas;

    private RawXmppSender(Socket socket) => _socket = socket;

    /// <summary>Error stanzas received since login.</summary>
    public long ErrorStanzas => Interlocked.Read(ref _errorStanzas);

    public static async Task<RawXmppSender> ConnectAsync(ProsodyServer server, TestAccount account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(account);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var sender = new RawXmppSender(socket);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(NegotiationTimeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.C2sPort), timeout.Token);
            await sender.NegotiateAsync(account, timeout.Token);
            sender._reader = Task.Run(() => sender.ReadLoopAsync(sender._stop.Token), CancellationToken.None);
            return sender;
        }
        catch
        {
            await sender.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends chat messages to <paramref name="to"/>, numbered in <paramref name="log"/>, paced by <paramref name="pacing"/>,
    /// until <paramref name="stop"/> is cancelled. A message counts as accepted once written to the socket.
    /// <paramref name="shape"/>: a bare chat message with a body, or also what the gateway adds to a tracked chat
    /// message (with or without the report requests), so the server parses and routes the same stanza as from the gateway.
    /// </summary>
    public async Task<SenderReport> RunAsync(string to, DeliveryLog log, SendPacing pacing, CancellationToken stop, MessageShape shape = MessageShape.Bare)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(pacing);
        var body = MessageBody.Create(log.Phase, 0, 0);
        // An id as the gateway makes them, so the stanza has its length; the server does not look at its value.
        var id = StanzaId.New();
        var gateway = $"<message type='chat' id='{id}' to='{to}'><body>{body}</body><origin-id id='{id}' xmlns='urn:xmpp:sid:0'/>";
        var template = Encoding.UTF8.GetBytes(shape switch
        {
            MessageShape.Bare => $"<message to='{to}' type='chat'><body>{body}</body></message>",
            MessageShape.GatewayWithoutReports => gateway + "</message>",
            _ => gateway + "<request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>",
        });
        var bodyOffset = MessageBody.FindAll(template).Single();
        var buffer = new byte[template.Length * MaxBatch];
        for (var i = 0; i < MaxBatch; i++)
        {
            template.CopyTo(buffer, i * template.Length);
        }

        var errorsBefore = ErrorStanzas;
        using var writeGuard = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        long sent = 0, writes = 0;
        while (!stop.IsCancellationRequested)
        {
            var allowed = MaxBatch;
            if (pacing.MessagesPerSecond is { } rate)
            {
                var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate);
                allowed = (int)Math.Min(allowed, due - sent);
            }

            if (pacing.MaxInFlight is { } window)
            {
                allowed = (int)Math.Min(allowed, window - log.InFlight);
            }

            if (allowed <= 0)
            {
                try
                {
                    await Task.Delay(1, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            var first = log.Next(allowed);
            var timestamp = Stopwatch.GetTimestamp();
            for (var i = 0; i < allowed; i++)
            {
                MessageBody.Patch(buffer.AsSpan((i * template.Length) + bodyOffset), first + i, timestamp);
            }

            // Not cancelled by stop: a message half written would be neither sent nor unsent.
            var pending = buffer.AsMemory(0, allowed * template.Length);
            writeGuard.CancelAfter(WriteTimeout);
            while (!pending.IsEmpty)
            {
                var written = await _socket.SendAsync(pending, SocketFlags.None, writeGuard.Token);
                pending = pending[written..];
            }

            writeGuard.CancelAfter(Timeout.InfiniteTimeSpan);

            for (var i = 0; i < allowed; i++)
            {
                log.Accept(first + i);
            }

            sent += allowed;
            writes++;
        }

        return new SenderReport(writes, new Dictionary<int, long>(), TransportErrors: 0, RequestLatency: null, ErrorStanzas - errorsBefore);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.Connected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.SendAsync("</stream:stream>"u8.ToArray(), SocketFlags.None, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
        }

        _socket.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task NegotiateAsync(TestAccount account, CancellationToken cancellationToken)
    {
        var header = $"<?xml version='1.0'?><stream:stream to='{account.Domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
        await WriteAsync(header, cancellationToken);
        var features = await ReadUntilAsync("</stream:features>", cancellationToken);
        if (!features.Contains("<mechanism>PLAIN</mechanism>", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The server offers no SASL PLAIN on the plaintext stream (allow_unencrypted_plain_auth?): " + features);
        }

        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{account.User}\0{account.Password}"));
        await WriteAsync($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{credentials}</auth>", cancellationToken);
        var outcome = await ReadUntilAnyAsync(["<success", "<failure"], cancellationToken);
        if (!outcome.Contains("<success", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"SASL PLAIN failed for {account}: {outcome}");
        }

        await WriteAsync(header, cancellationToken);
        await ReadUntilAsync("</stream:features>", cancellationToken);
        await WriteAsync("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>load</resource></bind></iq>", cancellationToken);
        var bound = await ReadUntilAsync("</iq>", cancellationToken); // result and error both carry children
        if (!bound.Contains("<jid>", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Resource binding failed for {account}: {bound}");
        }
    }

    private async Task WriteAsync(string text, CancellationToken cancellationToken) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), SocketFlags.None, cancellationToken);

    private Task<string> ReadUntilAsync(string end, CancellationToken cancellationToken) => ReadUntilAnyAsync([end], cancellationToken);

    // Negotiation only: reads until one of the markers has arrived and returns everything read since the last call.
    private async Task<string> ReadUntilAnyAsync(string[] markers, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        while (true)
        {
            var text = _negotiation.ToString();
            foreach (var marker in markers)
            {
                var index = text.IndexOf(marker, StringComparison.Ordinal);
                if (index >= 0)
                {
                    var end = text.IndexOf('>', index) + 1;
                    _negotiation.Remove(0, end);
                    return text[..end];
                }
            }

            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("The server closed the connection during negotiation: " + text);
            }

            _negotiation.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var carry = 0; // bytes of a possibly split "type='error'" kept from the last read
        while (true)
        {
            var read = await _socket.ReceiveAsync(buffer.AsMemory(carry), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return;
            }

            var span = buffer.AsSpan(0, carry + read);
            var count = 0;
            var rest = span;
            while (rest.IndexOf(ErrorType) is var index and >= 0)
            {
                count++;
                rest = rest[(index + ErrorType.Length)..];
            }

            Interlocked.Add(ref _errorStanzas, count);
            carry = Math.Min(rest.Length, ErrorType.Length - 1);
            rest[^carry..].CopyTo(buffer);
        }
    }
}
