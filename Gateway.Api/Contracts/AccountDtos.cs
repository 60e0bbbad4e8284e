using System.Text.Json.Serialization;

namespace Gateway.Api.Contracts;

/// <summary>One available resource of a contact (RFC 6121 §4.7.2).</summary>
/// <param name="Jid">The full JID.</param>
/// <param name="Show">away, chat, dnd or xa; null for plain available.</param>
/// <param name="Status">The status text, if any.</param>
/// <param name="Priority">-128..127 (0 when the presence had none).</param>
/// <param name="UpdatedAt">When this resource's presence last arrived.</param>
public sealed record ResourcePresenceDto(string Jid, string? Show, string? Status, int Priority, DateTimeOffset UpdatedAt);

/// <summary>A contact's (or the account's) presence as the session has seen it.</summary>
/// <param name="Jid">The bare JID.</param>
/// <param name="Available">True when at least one resource is available.</param>
/// <param name="Resources">The available resources, highest priority first.</param>
/// <param name="UnavailableSince">When unavailable: when the last unavailable presence arrived; null when none arrived on this stream.</param>
/// <param name="UnavailableStatus">When unavailable: the status text of the last unavailable presence, if any.</param>
public sealed record ContactPresenceDto(string Jid, bool Available, IReadOnlyList<ResourcePresenceDto> Resources, DateTimeOffset? UnavailableSince, string? UnavailableStatus);

/// <summary>The presence of the roster's contacts and of the account's own resources (this session's among them).</summary>
/// <param name="Account">The account's own resources.</param>
/// <param name="Contacts">Every roster contact, by JID; those never seen available are unavailable.</param>
public sealed record PresenceSnapshotDto(ContactPresenceDto Account, IReadOnlyList<ContactPresenceDto> Contacts);

/// <summary>The blocked JIDs (XEP-0191).</summary>
/// <param name="Jids">Bare, full or domain JIDs, as the server lists them.</param>
public sealed record BlocklistDto(IReadOnlyList<string> Jids);

/// <summary>A blocklist change the server pushed (event kind <c>blocklist-push</c>).</summary>
/// <param name="Action">block or unblock.</param>
/// <param name="Jids">The JIDs; empty with unblock: every JID was unblocked.</param>
public sealed record BlocklistPushDto(string Action, IReadOnlyList<string> Jids);

/// <summary>A vCard (XEP-0054 vcard-temp): the usual fields, and the whole card as XML.</summary>
public sealed record VCardDto
{
    /// <summary>Whose card: the bare JID.</summary>
    public required string Jid { get; init; }

    /// <summary>FN: the formatted name.</summary>
    public string? FullName { get; init; }

    public string? Nickname { get; init; }

    public string? GivenName { get; init; }

    public string? FamilyName { get; init; }

    public IReadOnlyList<string> Emails { get; init; } = [];

    public IReadOnlyList<string> Telephones { get; init; } = [];

    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>DESC: free text.</summary>
    public string? Note { get; init; }

    /// <summary>BDAY, as stored (an ISO 8601 date by convention).</summary>
    public string? Birthday { get; init; }

    public string? Title { get; init; }

    /// <summary>ORG/ORGNAME.</summary>
    public string? Organization { get; init; }

    /// <summary>The whole &lt;vCard xmlns='vcard-temp'/&gt; element as received, with what the fields above do not model (PHOTO, ADR…).</summary>
    public required string Xml { get; init; }
}

/// <summary>
/// The account's new vCard: it replaces the whole card (XEP-0054 §3.2). Either the fields, or <see cref="Xml"/>: a
/// whole &lt;vCard xmlns='vcard-temp'/&gt; element for what the fields do not model.
/// </summary>
public sealed record PutVCardRequest
{
    public string? FullName { get; init; }

    public string? Nickname { get; init; }

    public string? GivenName { get; init; }

    public string? FamilyName { get; init; }

    public IReadOnlyList<string>? Emails { get; init; }

    public IReadOnlyList<string>? Telephones { get; init; }

    public IReadOnlyList<string>? Urls { get; init; }

    public string? Note { get; init; }

    public string? Birthday { get; init; }

    public string? Title { get; init; }

    public string? Organization { get; init; }

    /// <summary>A whole vCard element instead of the fields (then leave them out).</summary>
    public string? Xml { get; init; }
}

/// <summary>An avatar's metadata (XEP-0084 §4.2).</summary>
/// <param name="Jid">Whose avatar: the bare JID.</param>
/// <param name="Id">The SHA-1 of the image, lowercase hex; also the image's ETag.</param>
/// <param name="Type">The MIME type, e.g. image/png.</param>
/// <param name="Bytes">The image's size.</param>
/// <param name="Width">Pixels, when known.</param>
/// <param name="Height">Pixels, when known.</param>
/// <param name="Url">Where the image is published over HTTP instead of PEP, when it is (not fetched by the gateway).</param>
public sealed record AvatarDto(string Jid, string Id, string Type, long Bytes, int? Width, int? Height, string? Url);

/// <summary>A shared file: the message that carries the link, and the link.</summary>
/// <param name="MessageId">The id of the message sent with the link (its delivery status as for any message).</param>
/// <param name="Url">Where the file can be downloaded (XEP-0363 GET URL).</param>
/// <param name="FileName">The name the file was uploaded under.</param>
/// <param name="Size">Bytes uploaded.</param>
/// <param name="ContentType">The file's MIME type.</param>
public sealed record UploadResultDto(string MessageId, string Url, string FileName, long Size, string ContentType);

/// <summary>What the account's server offers (XEP-0030), so an application can adapt.</summary>
/// <param name="Server">disco#info of the server's domain.</param>
/// <param name="Services">disco#items of the domain (components such as group chat and upload services), each with its own disco#info.</param>
/// <param name="Account">disco#info of the account's bare JID, where servers announce per-account features such as MAM (urn:xmpp:mam:2) and PEP; null when it did not answer.</param>
/// <param name="Upload">The HTTP file upload service (XEP-0363) and its size limit, when there is one.</param>
public sealed record ServerCapabilitiesDto(ServiceInfoDto Server, IReadOnlyList<ServiceDto> Services, ServiceInfoDto? Account, UploadServiceDto? Upload);

/// <summary>An entity's disco#info.</summary>
/// <param name="Jid">The entity.</param>
/// <param name="Identities">What it is (XEP-0030 §3.1), e.g. server/im, conference/text, store/file.</param>
/// <param name="Features">The features (namespaces) it announces.</param>
/// <param name="Forms">Extended information (XEP-0128), e.g. the upload service's max-file-size.</param>
public sealed record ServiceInfoDto(string Jid, IReadOnlyList<DiscoIdentityDto> Identities, IReadOnlyList<string> Features, IReadOnlyList<DataFormDto> Forms);

/// <summary>An identity of XEP-0030 §3.1.</summary>
public sealed record DiscoIdentityDto(string Category, string Type, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);

/// <summary>A XEP-0128 form: its FORM_TYPE and each field's values.</summary>
public sealed record DataFormDto(string? FormType, IReadOnlyDictionary<string, IReadOnlyList<string>> Fields);

/// <summary>A disco#items entry of the server, with its disco#info (null when it did not answer, or for a node).</summary>
public sealed record ServiceDto(string Jid, string? Name, string? Node, ServiceInfoDto? Info);

/// <summary>The HTTP file upload service.</summary>
/// <param name="Jid">The service.</param>
/// <param name="MaxFileSize">The largest file it takes in bytes; null when it does not say.</param>
public sealed record UploadServiceDto(string Jid, long? MaxFileSize);
