// XEP-0199: XMPP Ping (v2.0.1) §4.2 Client-to-server pings
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Client;

/// <summary>
/// Finds connections that died silently: pings the server (XEP-0199 §4.2) when nothing arrived for
/// <see cref="ReconnectingClientOptions.KeepAliveInterval"/>, and drops the connection when no answer comes in time.
/// </summary>
/// <remarks>
/// A resumed stream is pinged at once and counts as unresponsive until the answer arrives: Prosody 0.12's mod_smacks
/// keeps feeding a resumed connection into the old connection's XML parser, so when the old connection broke
/// mid-stanza the resumed stream silently swallows everything sent on it, and resuming it again would only repeat
/// that. A stream that ends before proving it still parses what we send is not resumed.
/// </remarks>
internal sealed class KeepAlive(TimeSpan interval, TimeSpan timeout, TimeProvider time, ILogger logger, string name) : IConnectionFeature
{
    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Ended);
        var token = linked.Token;
        try
        {
            if (context.Resumed)
            {
                context.RefuseResumption();
                if (!await PingAsync(context, token).ConfigureAwait(false))
                {
                    return;
                }

                // Proven alive: resuming it later is fine again. (The flag is read only after the stream ended.)
                context.AllowResumption();
            }

            // Checked at a fraction of the interval so an idle stream is pinged about one interval after its last traffic.
            using var timer = new PeriodicTimer(interval / 4, time);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (context.Connection is XmppClient client && client.SinceLastReceived < interval)
                {
                    continue;
                }

                if (!await PingAsync(context, token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }

    /// <summary>Pings the server; on no answer in time drops the connection, marks the stream not to be resumed and returns false.</summary>
    private async Task<bool> PingAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await context.Connection.PingAsync(timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
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
