using Gateway.Xmpp.Muc;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>One room's state in a <see cref="RoomTable"/>; every member is guarded by the table's <see cref="RoomTable.Gate"/>.</summary>
internal sealed class RoomEntry(Jid room, string nick, string? password)
{
    /// <summary>How many of the room's stanza-ids are remembered to drop repeats (history on re-entering).</summary>
    public const int RecentIdCapacity = 256;

    private readonly Queue<string> _recentOrder = new();
    private readonly HashSet<string> _recent = new(StringComparer.Ordinal);

    public Jid Room { get; } = room;

    public string Nick { get; set; } = nick;

    public string? Password { get; set; } = password;

    public RoomJoinState State { get; set; } = RoomJoinState.Joining;

    public string? Subject { get; set; }

    public MucRole Role { get; set; }

    public MucAffiliation Affiliation { get; set; }

    /// <summary>The occupants the room showed, by nick (us included).</summary>
    public Dictionary<string, RoomOccupant> Occupants { get; } = new(StringComparer.Ordinal);

    /// <summary>While re-entering: the occupants known before, to report only who changed once we are back in.</summary>
    public Dictionary<string, RoomOccupant>? Before { get; set; }

    /// <summary>Completed when the room confirms our entry (or fails it); null when nobody waits.</summary>
    public TaskCompletionSource<RoomInfo>? Entered { get; set; }

    /// <summary>Completed when the room confirms we left.</summary>
    public TaskCompletionSource? Exited { get; set; }

    /// <summary>Subject changes under way: what we set, and who waits for the room to announce it.</summary>
    public List<(string Subject, TaskCompletionSource Done)> SubjectChanges { get; } = [];

    /// <summary>We asked to leave (XEP-0045 §7.14): the room's confirmation removes the room; a new stream does not enter it again.</summary>
    public bool Leaving { get; set; }

    /// <summary>The room was created by our entry and is locked until configured (XEP-0045 §10.1.1).</summary>
    public bool Created { get; set; }

    /// <summary>The status codes of the self-presence that created the room (201 among them): reported with <c>joined</c> once it is configured.</summary>
    public System.Collections.Immutable.ImmutableArray<int> CreatedStatusCodes { get; set; } = [];

    /// <summary>
    /// While re-entering: the join presence went out on the current stream. Before it does, a presence error from the
    /// room answers something else (our server's unavailable presence as a stream closed), not an entry.
    /// </summary>
    public bool JoinSent { get; set; }

    /// <summary>
    /// While re-entering: the room put us out because of an error from our JID (333), not because we went unavailable,
    /// so the entry is made again on a stream that stays up too (at the next self-ping round).
    /// </summary>
    public bool RemovedByError { get; set; }

    /// <summary>Ever confirmed: stored, and re-entered on a new stream.</summary>
    public bool Confirmed { get; set; }

    /// <summary>When we entered (or the newest room message was sent): where history on re-entering starts.</summary>
    public DateTimeOffset? LastMessageAt { get; set; }

    /// <summary>Something worth storing (the last message time, recent ids) changed since the room was last stored.</summary>
    public bool Dirty { get; set; }

    public IReadOnlyCollection<string> RecentStanzaIds => _recentOrder;

    public RoomInfo Info => new(Room, Nick, State, Subject, Role, Affiliation);

    /// <summary>Out of the room until it is entered again: the occupants known so far are kept aside, to report only who changed once back in.</summary>
    public void StartRejoining()
    {
        State = RoomJoinState.Rejoining;
        JoinSent = false;
        RemovedByError = false;
        Before = new Dictionary<string, RoomOccupant>(Occupants, StringComparer.Ordinal);
        Occupants.Clear();
    }

    /// <summary>Remembers a room stanza-id; false when it was seen already (a repeat to drop).</summary>
    public bool Remember(string stanzaId)
    {
        if (!_recent.Add(stanzaId))
        {
            return false;
        }

        _recentOrder.Enqueue(stanzaId);
        if (_recentOrder.Count > RecentIdCapacity)
        {
            _recent.Remove(_recentOrder.Dequeue());
        }

        return true;
    }
}
