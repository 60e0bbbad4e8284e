using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Avatar;
using Gateway.Xmpp.Capabilities;
using Gateway.Xmpp.HttpUpload;
using Gateway.Xmpp.VCard;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// The everyday account features of a pooled session: what its contacts' presence is, what its server offers, the
/// blocklist (XEP-0191), the vCard (XEP-0054), the avatar (XEP-0084) and file sharing (XEP-0363). Requests need the
/// session online (<see cref="SessionUnavailableException"/> otherwise); the server's refusals arrive as
/// <see cref="StanzaErrorException"/>, a feature the server does not announce as <see cref="FeatureNotSupportedException"/>.
/// </summary>
public interface ISessionAccount
{
    /// <summary>The presence of the roster's contacts and of the account's other resources, as this session has seen it.</summary>
    PresenceSnapshot GetPresence();

    /// <summary>What the server offers (disco#info of its domain, disco#items with their info), cached for the stream.</summary>
    Task<ServerCapabilities> GetServerCapabilitiesAsync(CancellationToken cancellationToken = default);

    /// <summary>XEP-0191 §3.2: the blocked JIDs.</summary>
    Task<ImmutableArray<Jid>> GetBlocklistAsync(CancellationToken cancellationToken = default);

    /// <summary>XEP-0191 §3.3: blocks the JIDs.</summary>
    Task BlockAsync(IReadOnlyCollection<Jid> jids, CancellationToken cancellationToken = default);

    /// <summary>XEP-0191 §3.4: unblocks the JIDs; none unblocks every JID (§3.5).</summary>
    Task UnblockAsync(IReadOnlyCollection<Jid> jids, CancellationToken cancellationToken = default);

    /// <summary>XEP-0054 §3.1: the vCard of <paramref name="of"/>, or the account's own when null.</summary>
    Task<VCardInfo> GetVCardAsync(Jid? of, CancellationToken cancellationToken = default);

    /// <summary>XEP-0054 §3.2: replaces the account's own vCard.</summary>
    Task SetVCardAsync(XElement vcard, CancellationToken cancellationToken = default);

    /// <summary>XEP-0084 §5.1: the avatar metadata of <paramref name="of"/> (own when null); null when there is no avatar.</summary>
    Task<AvatarInfo?> GetAvatarInfoAsync(Jid? of, CancellationToken cancellationToken = default);

    /// <summary>XEP-0084 §5.2: the avatar image of <paramref name="of"/> (own when null); null when there is none in PEP.</summary>
    Task<AvatarImage?> GetAvatarAsync(Jid? of, CancellationToken cancellationToken = default);

    /// <summary>XEP-0084 §4: publishes a PNG or JPEG image as the account's avatar.</summary>
    Task<AvatarInfo> SetAvatarAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default);

    /// <summary>XEP-0363 §3: the server's upload service and its size limit.</summary>
    /// <exception cref="FeatureNotSupportedException">The server offers none.</exception>
    Task<UploadService> GetUploadServiceAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Uploads a file (XEP-0363: slot, then HTTP PUT of <paramref name="content"/>) and sends its URL to
    /// <see cref="FileUpload.To"/> as a message with XEP-0066 out-of-band data.
    /// </summary>
    /// <exception cref="UploadTooLargeException">Larger than the service's max-file-size (checked before anything is sent).</exception>
    /// <exception cref="HttpUploadException">The HTTP upload failed.</exception>
    Task<UploadResult> UploadAsync(FileUpload upload, Stream content, CancellationToken cancellationToken = default);
}

/// <summary>A file to upload and whom to send its link.</summary>
public sealed record FileUpload(Jid To, string FileName, long Size, string ContentType)
{
    /// <summary>chat (default), normal or groupchat: the type of the message that shares the link.</summary>
    public MessageType MessageType { get; init; } = MessageType.Chat;

    /// <summary>XEP-0066 &lt;desc/&gt;, if any.</summary>
    public string? Description { get; init; }
}

/// <summary>The shared file: the id of the message that carries its link, and the link.</summary>
public sealed record UploadResult(string MessageId, Uri Url);

/// <summary>One available resource of a contact (RFC 6121 §4.7.2): show, status and priority, and when it last changed.</summary>
public sealed record ResourcePresence(Jid Jid, PresenceShow Show, string? Status, sbyte Priority, DateTimeOffset UpdatedAt);

/// <summary>
/// A contact's presence: its available resources, highest priority first; none when unavailable, with the time and
/// status of the last unavailable presence when one was seen (null when nothing was seen on this stream).
/// </summary>
public sealed record ContactPresence(Jid Jid, ImmutableArray<ResourcePresence> Resources, DateTimeOffset? UnavailableSince, string? UnavailableStatus)
{
    public bool Available => !Resources.IsEmpty;
}

/// <summary>The account's own other resources and each roster contact's presence.</summary>
public sealed record PresenceSnapshot(ContactPresence Account, ImmutableArray<ContactPresence> Contacts);
