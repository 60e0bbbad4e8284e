// XEP-0359: Unique and Stable Stanza IDs (v0.7.0) https://xmpp.org/extensions/xep-0359.html
namespace Gateway.Xmpp.Pool;

/// <summary>
/// Remembers which incoming messages a session published, to drop repeats: the same archive id (XEP-0359 stanza-id
/// by our account: an offline copy and its archive entry) or the same sender's origin-id (a sender that resent after
/// losing its own connection). Bounded: beyond the capacity the oldest keys are forgotten, except while pinned (during
/// an archive catch-up every live message held back must be checked against everything the catch-up published,
/// however long it ran).
/// </summary>
/// <param name="account">The account whose archive ids count.</param>
/// <param name="capacity">How many keys are remembered.</param>
/// <param name="stanzaIds">Whether the account's stanza-ids are believed (XEP-0359); null trusts them (a caller that checked).</param>
internal sealed class InboundDeduplicator(Jid account, int capacity = InboundDeduplicator.DefaultCapacity, StanzaIdTrust? stanzaIds = null)
{
    private readonly StanzaIdTrust _stanzaIds = stanzaIds ?? StanzaIdTrust.Assumed(account);

    public const int DefaultCapacity = 10_000;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly object _gate = new();
    private int _pins;

    /// <summary>The account whose archive ids count (its bare JID).</summary>
    public Jid Account { get; } = account.Bare;

    /// <summary>The message's archive id, when it carries one by the account and the server is trusted to have set it.</summary>
    public string? ArchiveIdOf(Message message) => _stanzaIds.ArchiveIdOf(message);

    /// <summary>The question the message makes the stream ask before it can be judged, if any (<see cref="StanzaIdTrust.QuestionFor"/>).</summary>
    public StanzaIdTrust.Question? QuestionFor(Message message, CancellationToken cancellationToken) => _stanzaIds.QuestionFor(message, cancellationToken);

    /// <summary>Remembers the message's keys; false when it is a repeat of one already remembered.</summary>
    public bool TryRemember(Message message, string? archiveId)
    {
        archiveId ??= ArchiveIdOf(message);
        var originKey = OriginKey(message);
        lock (_gate)
        {
            if ((archiveId is not null && _seen.Contains(archiveId)) || (originKey is not null && _seen.Contains(originKey)))
            {
                return false;
            }

            Add(archiveId);
            Add(originKey);
            return true;
        }
    }

    /// <summary>Whether the message's keys are remembered (without remembering them).</summary>
    public bool Contains(Message message, string? archiveId)
    {
        archiveId ??= ArchiveIdOf(message);
        var originKey = OriginKey(message);
        lock (_gate)
        {
            return (archiveId is not null && _seen.Contains(archiveId)) || (originKey is not null && _seen.Contains(originKey));
        }
    }

    /// <summary>Remembers messages published before (e.g. by the previous gateway process, read back from the journal).</summary>
    public void Remember(IEnumerable<Message> published)
    {
        lock (_gate)
        {
            foreach (var message in published)
            {
                Add(ReceiptElements.FindStanzaId(message, Account));
                Add(OriginKey(message));
            }
        }
    }

    /// <summary>Forgets nothing until <see cref="Unpin"/>.</summary>
    public void Pin()
    {
        lock (_gate)
        {
            _pins++;
        }
    }

    public void Unpin()
    {
        lock (_gate)
        {
            _pins--;
            ForgetBeyondCapacity();
        }
    }

    /// <summary>The sender's XEP-0359 origin-id, qualified by the sender: the same id from two senders is two messages.</summary>
    private static string? OriginKey(Message message) =>
        message.From is not null && (string?)message.FindPayload(ReceiptElements.OriginId)?.Attribute("id") is { Length: > 0 } originId
            ? $"{message.From.Bare}\n{originId}"
            : null;

    private void Add(string? key)
    {
        if (key is null || !_seen.Add(key))
        {
            return;
        }

        _order.Enqueue(key);
        ForgetBeyondCapacity();
    }

    private void ForgetBeyondCapacity()
    {
        while (_pins == 0 && _order.Count > capacity)
        {
            _seen.Remove(_order.Dequeue());
        }
    }
}
