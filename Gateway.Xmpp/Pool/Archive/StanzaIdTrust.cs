// XEP-0359: Unique and Stable Stanza IDs (v0.7.0) https://xmpp.org/extensions/xep-0359.html
using System.Xml.Linq;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Protocol;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Whether a session may believe the stanza-ids stamped 'by' its account (its archive ids). Anyone can put a
/// &lt;stanza-id by='our bare JID'/&gt; into a message; only a server that implements XEP-0359 replaces such an element
/// with its own (§3, "MUST ... override"), and it announces so with <c>urn:xmpp:sid:0</c> in the disco#info of the
/// account's bare JID (§4, Discovering support). Without that announcement a sender could choose our archive ids:
/// make us drop real messages as repeats, or move the archive cursor. So every new stream asks, and until the answer
/// says yes, messages count as carrying no archive id.
/// </summary>
internal sealed class StanzaIdTrust : IConnectionFeature
{
    private readonly ILogger _logger;
    private readonly string _tenant;
    private readonly string _sessionId;
    private readonly TimeSpan _iqTimeout;
    private volatile bool _trusted;

    public StanzaIdTrust(Jid account, TimeSpan iqTimeout, ILogger logger, string tenant, string sessionId)
    {
        Account = account.Bare;
        _iqTimeout = iqTimeout;
        _logger = logger;
        _tenant = tenant;
        _sessionId = sessionId;
    }

    private StanzaIdTrust(Jid account)
        : this(account, TimeSpan.FromSeconds(1), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "", "") => _trusted = true;

    /// <summary>The account whose stanza-ids are archive ids.</summary>
    public Jid Account { get; }

    /// <summary>Whether the server announced <c>urn:xmpp:sid:0</c> for the account on the current stream.</summary>
    public bool Trusted => _trusted;

    /// <summary>Trusts the account's stanza-ids without asking: for parts whose caller has checked already (and tests).</summary>
    public static StanzaIdTrust Assumed(Jid account) => new(account);

    /// <summary>The message's archive id (its stanza-id by the account), or null when it has none or none can be trusted.</summary>
    public string? ArchiveIdOf(Message message) => _trusted ? ReceiptElements.FindStanzaId(message, Account) : null;

    public async ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        // A resumed stream is the same server session: what it announced still holds.
        if (context.Resumed)
        {
            return;
        }

        _trusted = false;
        try
        {
            var reply = await context.Connection.SendIqAsync(new Iq { Type = IqType.Get, To = Account, Payload = [new XElement(DiscoFeature.InfoQueryName)] }, _iqTimeout, cancellationToken).ConfigureAwait(false);
            _trusted = reply.Query is { } query && query.Name == DiscoFeature.InfoQueryName && DiscoFeature.Parse(query).Supports(Ns.StanzaId);
        }
        catch (Exception ex) when (ex is StanzaErrorException or XmppTimeoutException)
        {
            // No answer is no announcement.
        }

        if (!_trusted)
        {
            Log.StanzaIdsUntrusted(_logger, _tenant, _sessionId);
        }
    }
}
