// XEP-0280: Message Carbons (v1.0.1) https://xmpp.org/extensions/xep-0280.html
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Enables message carbons (XEP-0280 §4) on every new stream, before initial presence, so that the session also sees
/// what the account's other clients send and receive. A resumed stream (XEP-0198 §5) keeps the server's state, carbons
/// included, and is left alone. A server that refuses (or does not answer in time) leaves the session working without
/// copies: logged, not fatal.
/// </summary>
/// <param name="tenant">The owning tenant, for logs.</param>
/// <param name="sessionId">The session, for logs.</param>
/// <param name="timeout">How long the enable request may take.</param>
/// <param name="logger">Where it logs.</param>
internal sealed class CarbonsFeature(string tenant, string sessionId, TimeSpan timeout, ILogger logger) : IConnectionFeature
{
    public async ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (context.Resumed)
        {
            return;
        }

        try
        {
            await context.Connection.SendIqAsync(CarbonElements.EnableRequest(), timeout, cancellationToken).ConfigureAwait(false);
            Log.CarbonsEnabled(logger, tenant, sessionId);
        }
        catch (StanzaErrorException ex)
        {
            // XEP-0280 §4.1: forbidden (policy) or not-allowed; service-unavailable from a server without carbons.
            Log.CarbonsRefused(logger, tenant, sessionId, ex.Error.Condition.ToWire());
        }
        catch (XmppTimeoutException)
        {
            Log.CarbonsRefused(logger, tenant, sessionId, "timeout");
        }
    }
}
