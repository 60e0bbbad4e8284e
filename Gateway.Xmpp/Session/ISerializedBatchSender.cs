namespace Gateway.Xmpp;

/// <summary>
/// A connection that can write stanzas already serialised (by <see cref="Protocol.StanzaSerializer.ToBytes"/>, which
/// produces exactly what the connection would write), so a stanza serialised once when it was accepted is not
/// serialised again. Internal: bytes from outside the library never go on the wire unchecked.
/// </summary>
internal interface ISerializedBatchSender
{
    /// <summary>As <see cref="IXmppConnection.SendBatchAsync"/>; an empty entry of <paramref name="serialized"/> is serialised here.</summary>
    Task<IReadOnlyList<Task>> SendSerializedBatchAsync(IReadOnlyList<Stanza> stanzas, IReadOnlyList<ReadOnlyMemory<byte>> serialized, bool requestAcknowledgement, CancellationToken cancellationToken);
}
