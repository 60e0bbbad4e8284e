using System.Diagnostics;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Bench.Load;

/// <summary>
/// The receiving end of a scenario: one account logged in with <see cref="XmppClient"/> (plaintext, SCRAM, no stream
/// management so the server spends nothing on acknowledging a measuring instrument). Every load message it gets is
/// recorded in the <see cref="DeliveryLog"/> of the phase its body names.
/// </summary>
internal sealed class XmppReceiver : IAsyncDisposable
{
    private readonly XmppClient _client;
    private readonly DeliveryLog?[] _phases = new DeliveryLog?[MessageBody.MaxPhase + 1];
    private readonly Task _loop;
    private long _untracked;
    private long _errors;

    private XmppReceiver(XmppClient client, TestAccount account)
    {
        _client = client;
        Account = account;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public TestAccount Account { get; }

    /// <summary>Load messages of phases nobody tracks, and messages without a load body.</summary>
    public long Untracked => Interlocked.Read(ref _untracked);

    /// <summary>Error stanzas received.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>
    /// Logs in, sends initial presence and waits for one IQ round trip, so the server has processed the presence and
    /// routes messages for the bare JID here instead of bouncing them (see prosody-notes.md).
    /// </summary>
    public static async Task<XmppReceiver> ConnectAsync(ProsodyServer server, TestAccount account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(account);
        var client = await XmppClient.ConnectAsync(
            new XmppClientOptions
            {
                Jid = Jid.Parse(account.Bare),
                Password = account.Password,
                Host = server.Host,
                Port = server.C2sPort,
                TlsMode = TlsMode.Disabled,
                Resource = "receiver",
                EnableStreamManagement = false,
            },
            cancellationToken: cancellationToken);
        try
        {
            await client.SendAsync(new Presence(), cancellationToken);
            await client.PingAsync(cancellationToken: cancellationToken);
            return new XmppReceiver(client, account);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Records the messages of <paramref name="log"/>'s phase from now on.</summary>
    public void Track(DeliveryLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Volatile.Write(ref _phases[log.Phase], log);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.CloseAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }

        await _client.DisposeAsync();
        await _loop;
    }

    private async Task ReceiveLoopAsync()
    {
        await foreach (var stanza in _client.Incoming.ReadAllAsync())
        {
            if (stanza is not Message message)
            {
                continue;
            }

            var now = Stopwatch.GetTimestamp();
            if (message.IsError)
            {
                Interlocked.Increment(ref _errors);
            }
            else if (MessageBody.TryParse(message.Body, out var phase, out var seq, out var sent)
                && Volatile.Read(ref _phases[phase]) is { } log)
            {
                log.Receive(seq, sent, now);
            }
            else
            {
                Interlocked.Increment(ref _untracked);
            }
        }
    }
}
