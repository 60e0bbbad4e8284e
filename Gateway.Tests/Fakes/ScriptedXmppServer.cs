using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gateway.Tests.Fakes;

/// <summary>
/// A loopback TCP peer that plays a script, for server behaviour a real Prosody will not show (no
/// STARTTLS offered, garbage, a stream error at a chosen moment). Not a server: it reads until the text
/// it expects and writes what it is told.
/// </summary>
internal sealed class ScriptedXmppServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private TcpClient? _client;
    private Stream? _stream;
    private readonly StringBuilder _received = new();

    /// <summary>Where <see cref="ExpectNextAsync"/> looks from: past its last match, or the start of the latest connection.</summary>
    private int _mark;

    public ScriptedXmppServer() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Everything the client sent so far.</summary>
    public string Received => _received.ToString();

    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        _client?.Dispose();
        _client = await _listener.AcceptTcpClientAsync(cancellationToken);
        _stream = _client.GetStream();
        _mark = _received.Length;
    }

    /// <summary>
    /// Reads until the client has sent <paramref name="text"/> after the previous <see cref="ExpectNextAsync"/> match (or
    /// after the latest <see cref="AcceptAsync"/>), and returns what it sent from there up to the end of the match: for
    /// scripts where the same text comes more than once (a second stream header, one IQ after another).
    /// </summary>
    public async Task<string> ExpectNextAsync(string text, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        int found;
        while ((found = Received.IndexOf(text, _mark, StringComparison.Ordinal)) < 0)
        {
            var read = await _stream!.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException($"The client closed the connection before sending '{text}'. Received: {Received}");
            }

            _received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        var segment = Received[_mark..(found + text.Length)];
        _mark = found + text.Length;
        return segment;
    }

    /// <summary>After sending <c>&lt;proceed/&gt;</c> (RFC 6120 §5.4.2.3): the server side of the TLS handshake.</summary>
    public async Task StartTlsAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(_stream!, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
        _stream = ssl;
    }

    /// <summary>What the client sent after the latest <see cref="ExpectNextAsync"/> match (or accept).</summary>
    public string ReceivedSinceMark => Received[_mark..];

    /// <summary>Reads until the client has sent <paramref name="text"/> (cumulative, from the start of the connection).</summary>
    public async Task ExpectAsync(string text, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (!Received.Contains(text, StringComparison.Ordinal))
        {
            var read = await _stream!.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException($"The client closed the connection before sending '{text}'. Received: {Received}");
            }

            _received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    public async Task SendAsync(string xml, CancellationToken cancellationToken)
    {
        await _stream!.WriteAsync(Encoding.UTF8.GetBytes(xml), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>Waits until the client closes its side, collecting what it sent last.</summary>
    public async Task<string> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        int read;
        while ((read = await _stream!.ReadAsync(buffer, cancellationToken)) > 0)
        {
            _received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return Received;
    }

    public const string ServerHeader =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0' xml:lang='en'>";

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
