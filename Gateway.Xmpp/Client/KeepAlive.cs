// XEP-0199: XMPP Ping (v2.0.1) §4.2 Client-to-server pings
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Client;

/// <summary>
/// Finds connections that died silently: probes the server when nothing arrived for
/// <see cref="ReconnectingClientOptions.KeepAliveInterval"/>, and drops the connection when no answer comes in time.
/// The idle probe is <see cref="XmppClient.ProbeAsync"/> (an XEP-0198 &lt;r/&gt; where stream management is on, else a
/// XEP-0199 ping); the probe of a resumed stream is always a ping (below).
/// </summary>
/// <remarks>
/// A resumed stream is pinged at once and counts as unresponsive until the answer arrives: Prosody 0.12's mod_smacks
/// keeps feeding a resumed connection into the old connection's XML parser, so when the old connection broke
/// mid-stanza the resumed stream silently swallows everything sent on it, and resuming it again would only repeat
/// that. A stream that ends before proving it still parses what we send is not resumed.
/// </remarks>
/// <param name="interval">Idle time after which the stream is pinged.</param>
/// <param name="timeout">How long a ping may go unanswered.</param>
/// <param name="ticker">Wakes the keepalive when the stream has been idle long enough; shared by a pool's sessions.</param>
/// <param name="logger">Where it logs.</param>
/// <param name="name">How logs name the client.</param>
internal sealed class KeepAlive(TimeSpan interval, TimeSpan timeout, KeepAliveTicker ticker, ILogger logger, string name) : IConnectionFeature
{
    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        using var link = context.LinkEnded(cancellationToken, out var token);
        try
        {
            if (context.Resumed)
            {
                context.RefuseResumption();
                if (!await ProbeAsync(context, static (c, t, ct) => c.PingAsync(timeout: t, cancellationToken: ct), token).ConfigureAwait(false))
                {
                    return;
                }

                // Proven alive: resuming it later is fine again. (The flag is read only after the stream ended.)
                context.AllowResumption();
            }

            // Pinged once nothing arrived for an interval (at most one tick later): a stream with traffic is never
            // pinged, and an idle one once per interval. A connection that cannot tell (a test double) counts as idle.
            Func<TimeSpan> sinceLastReceived = context.Connection is XmppClient client ? () => client.SinceLastReceived : static () => TimeSpan.MaxValue;
            Func<IXmppConnection, TimeSpan, CancellationToken, Task> idleProbe = context.Connection is XmppClient
                ? static (c, t, ct) => ((XmppClient)c).ProbeAsync(t, ct)
                : static (c, t, ct) => c.PingAsync(timeout: t, cancellationToken: ct);
            while (true)
            {
                await ticker.WaitForIdleAsync(sinceLastReceived, interval, token).ConfigureAwait(false);
                if (!await ProbeAsync(context, idleProbe, token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended, or the client stopped (its ticker with it).
        }
    }

    /// <summary>Probes the server; on no answer in time drops the connection, marks the stream not to be resumed and returns false.</summary>
    private async Task<bool> ProbeAsync(ConnectionContext context, Func<IXmppConnection, TimeSpan, CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        try
        {
            await probe(context.Connection, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (XmppTimeoutException)
        {
            context.RefuseResumption();
            Log.KeepAliveUnanswered(logger, name, timeout);
            context.Connection.Abort();
            return false;
        }
        catch (StanzaErrorException)
        {
            // RFC 6120 §8.4: a server without XEP-0199 answers service-unavailable, which still proves it is alive.
        }

        return true;
    }
}
