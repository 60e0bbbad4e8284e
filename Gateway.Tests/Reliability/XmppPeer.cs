using System.Net.Sockets;
using System.Xml.Linq;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Reliability;

/// <summary>
/// The other end of the gateway's conversation: a plain XMPP account (the library's <see cref="XmppClient"/>, no
/// gateway), connected straight to the server, that reconnects whenever the server restarts. Two connections:
/// </summary>
/// <remarks>
/// <para>
/// The <b>receiver</b> (resource <c>receiver</c>) is online with presence and counts every message the gateway sends
/// to the account. It does not use XEP-0198: a server that ends a stream management session with unacknowledged
/// messages stores them offline again (Prosody's mod_smacks), which would hand it copies it had already read and
/// blame the gateway for them. While it is away (the server restarts) messages wait in offline storage.
/// </para>
/// <para>
/// The <b>sender</b> (resource <c>sender</c>, no presence, so the gateway's messages never go to it) sends numbered
/// messages to the gateway's account, each with a XEP-0359 origin-id derived from its number, and uses XEP-0198
/// acknowledgements: when its connection ends, what the server did not acknowledge is sent again on the next one,
/// with the same id and origin-id (what any client does). A server that had handled it then holds two copies, which
/// the gateway is documented to recognise by sender and origin-id; <see cref="Resent"/> says how many there were.
/// </para>
/// </remarks>
internal sealed class XmppPeer : IAsyncDisposable
{
    private static readonly XName OriginIdName = XName.Get("origin-id", "urn:xmpp:sid:0");
    private static readonly XName DelayName = XName.Get("delay", "urn:xmpp:delay");

    private readonly ProsodyServer _server;
    private readonly TestAccount _account;
    private readonly DeliveryLedger _received;
    private readonly string _runId;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(int Sequence, Message Message, Task Acknowledged)> _unacknowledged = [];
    private Task _receiving = Task.CompletedTask;
    private XmppClient? _receiver;
    private XmppClient? _sender;
    private int _sent;
    private int _resent;
    private int _receiverConnections;
    private int _senderConnections;
    private int _fromOfflineStorage;

    /// <param name="server">The XMPP server.</param>
    /// <param name="account">The peer's account.</param>
    /// <param name="received">Where the receiver records the gateway's messages.</param>
    /// <param name="runId">Makes origin-ids unique to this run.</param>
    public XmppPeer(ProsodyServer server, TestAccount account, DeliveryLedger received, string runId)
    {
        _server = server;
        _account = account;
        _received = received;
        _runId = runId;
    }

    public Jid Jid => Jid.Parse(_account.Bare);

    /// <summary>Inbound messages handed to the server at least once.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Messages sent again because their connection ended before the server acknowledged them.</summary>
    public int Resent => Volatile.Read(ref _resent);

    public string Describe() =>
        $"peer sent {Sent} (resent {Resent}), receiver connections {Volatile.Read(ref _receiverConnections)}, sender connections {Volatile.Read(ref _senderConnections)}, " +
        $"received from offline storage {Volatile.Read(ref _fromOfflineStorage)}";

    /// <summary>Connects both; the receiver records from now on.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _receiver = await ConnectAsync(receiver: true, cancellationToken);
        _sender = await ConnectAsync(receiver: false, cancellationToken);
        _receiving = Task.Run(() => ReceiveAsync(_receiver, _stopping.Token), CancellationToken.None);
    }

    /// <summary>
    /// Sends messages 0..count-1 to <paramref name="to"/>, one every 1/<paramref name="perSecond"/> s (see
    /// <see cref="Pace"/>), then the sentinel, and returns once the server acknowledged all of them.
    /// </summary>
    public async Task SendAllAsync(Jid to, DeliveryLedger ledger, int count, double perSecond, bool catchUp, CancellationToken cancellationToken)
    {
        var pace = new Pace(perSecond, catchUp);
        for (var i = 0; i <= count; i++)
        {
            await pace.NextAsync(cancellationToken);

            var body = i < count ? ledger.Body(i) : ledger.SentinelBody;
            var id = $"{ledger.Prefix}-{(i < count ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : DeliveryLedger.Sentinel)}-{_runId}";
            var message = new Message
            {
                To = to,
                Type = MessageType.Chat,
                Id = id,
                Body = body,
                Payload = [new XElement(OriginIdName, new XAttribute("id", id))],
            };
            await SendAsync(i, message, cancellationToken);
            Interlocked.Increment(ref _sent);
        }

        await FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _receiving;
        }
        catch (OperationCanceledException)
        {
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        if (_sender is not null)
        {
            await _sender.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task SendAsync(int sequence, Message message, CancellationToken cancellationToken)
    {
        while (true)
        {
            var sender = _sender!;
            if (sender.IsConnected)
            {
                try
                {
                    var sent = await sender.SendTrackedAsync(message, requestAcknowledgementNow: false, cancellationToken);
                    _unacknowledged.Add((sequence, message, sent.Acknowledged));
                    _unacknowledged.RemoveAll(u => u.Acknowledged.IsCompletedSuccessfully);
                    return;
                }
                catch (Exception ex) when (IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
                {
                }
            }

            await ReconnectSenderAsync(cancellationToken);
        }
    }

    /// <summary>Waits until the server acknowledged everything sent, reconnecting and resending as needed.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            _unacknowledged.RemoveAll(u => u.Acknowledged.IsCompletedSuccessfully);
            if (_unacknowledged.Count == 0)
            {
                return;
            }

            var sender = _sender!;
            if (sender.IsConnected)
            {
                try
                {
                    await sender.RequestAcknowledgementAsync(cancellationToken);
                    await Task.WhenAny(Task.WhenAll(_unacknowledged.Select(u => u.Acknowledged)), sender.Terminated, Task.Delay(1000, cancellationToken));
                    continue;
                }
                catch (Exception ex) when (IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
                {
                }
            }

            await ReconnectSenderAsync(cancellationToken);
        }
    }

    /// <summary>A new sender connection, on which what the old one left unacknowledged is sent again first, in order.</summary>
    private async Task ReconnectSenderAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_sender is { } old)
            {
                await old.DisposeAsync();
            }

            _sender = await ConnectAsync(receiver: false, cancellationToken);
            var pending = _unacknowledged.Where(u => !u.Acknowledged.IsCompletedSuccessfully).ToList();
            _unacknowledged.Clear();
            try
            {
                foreach (var (sequence, message, _) in pending)
                {
                    var sent = await _sender.SendTrackedAsync(message, requestAcknowledgementNow: false, cancellationToken);
                    _unacknowledged.Add((sequence, message, sent.Acknowledged));
                    Interlocked.Increment(ref _resent);
                }

                return;
            }
            catch (Exception ex) when (IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                // Lost again while resending: what was not resent stays pending for the next connection.
                var resent = _unacknowledged.Select(u => u.Sequence).ToHashSet();
                _unacknowledged.AddRange(pending.Where(p => !resent.Contains(p.Sequence)));
                _unacknowledged.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            }
        }
    }

    private async Task ReceiveAsync(XmppClient client, CancellationToken cancellationToken)
    {
        while (true)
        {
            await foreach (var stanza in client.Incoming.ReadAllAsync(cancellationToken))
            {
                if (stanza is Message { Body: { } body } message)
                {
                    var originId = (string?)message.FindPayload(OriginIdName)?.Attribute("id");
                    var offline = message.FindPayload(DelayName) is not null;
                    if (_received.Record(body, (originId ?? "no origin-id") + (offline ? " offline" : "")) && offline)
                    {
                        Interlocked.Increment(ref _fromOfflineStorage);
                    }
                }
            }

            // The stream ended (the server restarted): what the server had written is read; come back for the rest.
            await client.DisposeAsync();
            client = await ConnectAsync(receiver: true, cancellationToken);
            _receiver = client;
        }
    }

    private async Task<XmppClient> ConnectAsync(bool receiver, CancellationToken cancellationToken)
    {
        var options = TestClients.Options(_server, _account, receiver ? "receiver" : "sender") with { EnableStreamManagement = !receiver };
        while (true)
        {
            XmppClient? client = null;
            try
            {
                client = await XmppClient.ConnectAsync(options, cancellationToken: cancellationToken);
                if (receiver)
                {
                    // Online as an IM client is (TestClients.ConnectOnlineAsync): roster, presence (which also releases
                    // offline storage), then one round trip so the server has processed the presence.
                    await client.GetRosterAsync(cancellationToken);
                    await client.SendInitialPresenceAsync(cancellationToken: cancellationToken);
                    await client.PingAsync(cancellationToken: cancellationToken);
                    Interlocked.Increment(ref _receiverConnections);
                }
                else
                {
                    Interlocked.Increment(ref _senderConnections);
                }

                return client;
            }
            catch (Exception ex) when (IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }

                // The server is restarting.
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is XmppException or IOException or SocketException or ObjectDisposedException or InvalidOperationException or TimeoutException;
}
