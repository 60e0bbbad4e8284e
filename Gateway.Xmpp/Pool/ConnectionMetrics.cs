using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;

namespace Gateway.Xmpp.Pool;

/// <summary>Counts each connection of a session as it comes online: the first, a resumed stream (XEP-0198 §5) or a new one.</summary>
internal sealed class ConnectionMetrics(XmppMetrics metrics) : IConnectionFeature
{
    public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        metrics.ConnectionUp(context.Number, context.Resumed);
        return ValueTask.CompletedTask;
    }
}
