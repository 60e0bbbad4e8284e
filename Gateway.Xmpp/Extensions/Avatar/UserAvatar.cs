// XEP-0084: User Avatar (v1.1.4) §4 (publishing), §5 (retrieving); XEP-0163 PEP; XEP-0060 §6.5, §7.1
using System.Security.Cryptography;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Avatar;

/// <summary>Publishes and retrieves avatars through the account's PEP service. Element building and parsing are pure.</summary>
public static class UserAvatar
{
    private static readonly XNamespace PubSubNs = Ns.PubSub;
    private static readonly XNamespace DataNs = Ns.AvatarData;
    private static readonly XNamespace MetadataNs = Ns.AvatarMetadata;

    /// <summary>
    /// The largest image published or accepted: base64 makes it a third larger, and the stanza must stay below the
    /// usual server limit (Prosody's c2s default is 256 KiB). XEP-0084 §7 recommends small images anyway.
    /// </summary>
    public const int MaxBytes = 128 * 1024;

    /// <summary>
    /// XEP-0084 §5.1: the current metadata of <paramref name="of"/>'s avatar (the account's own when null); null when
    /// the avatar is disabled (empty metadata, §4.5) or nothing was ever published there (an empty node).
    /// </summary>
    public static async Task<AvatarInfo?> GetAvatarInfoAsync(this IStanzaSender client, Jid? of, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var items = new XElement(PubSubNs + "items", new XAttribute("node", Ns.AvatarMetadata), new XAttribute("max_items", "1"));
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = of?.Bare, Payload = [new XElement(PubSubNs + "pubsub", items)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ParseMetadata(ItemPayload(reply.Query, MetadataNs + "metadata"));
    }

    /// <summary>
    /// XEP-0084 §5.2: the image with this id. Null when the data node has no such item. The data must hash to the id
    /// (§4.2: the id is the SHA-1 of the image): anything else is refused as a protocol violation by the publisher.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>?> GetAvatarDataAsync(this IStanzaSender client, Jid? of, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(id);
        var items = new XElement(PubSubNs + "items", new XAttribute("node", Ns.AvatarData), new XElement(PubSubNs + "item", new XAttribute("id", id)));
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = of?.Bare, Payload = [new XElement(PubSubNs + "pubsub", items)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ItemPayload(reply.Query, DataNs + "data") is { } data ? DecodeData(data, id) : null;
    }

    /// <summary>
    /// XEP-0084 §4.1, §4.2: publishes the image to the data node, then its metadata (in that order, so a contact told of
    /// new metadata finds the data), and returns the metadata. The node's access model stays the server's default
    /// (XEP-0163 §4: presence subscribers).
    /// </summary>
    /// <exception cref="ArgumentException">Not a PNG or JPEG image, or larger than <see cref="MaxBytes"/>.</exception>
    public static async Task<AvatarInfo> PublishAvatarAsync(this IStanzaSender client, ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var info = Describe(image.Span);
        await client.SendIqAsync(Publish(Ns.AvatarData, info.Id, new XElement(DataNs + "data", Convert.ToBase64String(image.Span))), cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.SendIqAsync(Publish(Ns.AvatarMetadata, info.Id, MetadataElement(info)), cancellationToken: cancellationToken).ConfigureAwait(false);
        return info;
    }

    /// <summary>The metadata of an image to publish: its SHA-1 id, type, size and pixel size.</summary>
    /// <exception cref="ArgumentException">Not a PNG or JPEG image, or larger than <see cref="MaxBytes"/>.</exception>
    public static AvatarInfo Describe(ReadOnlySpan<byte> image)
    {
        if (image.Length > MaxBytes)
        {
            throw new ArgumentException($"An avatar may be at most {MaxBytes / 1024} KiB; this one is {image.Length} bytes.", nameof(image));
        }

        if (!ImageInspector.TryInspect(image, out var type, out var width, out var height))
        {
            throw new ArgumentException("An avatar must be a PNG or JPEG image.", nameof(image));
        }

        return new AvatarInfo(Sha1Hex(image), type, image.Length) { Width = width, Height = height };
    }

    /// <summary>XEP-0084 §4.2: the id is the SHA-1 hash of the image data, in lowercase hex.</summary>
    public static string Sha1Hex(ReadOnlySpan<byte> data)
    {
#pragma warning disable CA5350 // XEP-0084 §4.2 mandates SHA-1 for the id; it names the image, it protects nothing.
        return Convert.ToHexStringLower(SHA1.HashData(data));
#pragma warning restore CA5350
    }

    /// <summary>The &lt;metadata/&gt; payload for one image (XEP-0084 §4.2).</summary>
    public static XElement MetadataElement(AvatarInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new XElement(MetadataNs + "metadata", new XElement(
            MetadataNs + "info",
            new XAttribute("bytes", info.Bytes),
            new XAttribute("id", info.Id),
            new XAttribute("type", info.Type),
            info.Width is { } width ? new XAttribute("width", width) : null,
            info.Height is { } height ? new XAttribute("height", height) : null,
            info.Url is { } url ? new XAttribute("url", url) : null));
    }

    /// <summary>
    /// The metadata's first in-band image (an &lt;info/&gt; without url: its data is in the data node), else its first
    /// image; null when there is none (§4.5: empty metadata disables the avatar) or the info lacks the required attributes.
    /// </summary>
    public static AvatarInfo? ParseMetadata(XElement? metadata)
    {
        var infos = metadata?.Elements(MetadataNs + "info").ToList() ?? [];
        var chosen = infos.FirstOrDefault(i => i.Attribute("url") is null) ?? infos.FirstOrDefault();
        if (chosen is null || (string?)chosen.Attribute("id") is not { Length: > 0 } id || (string?)chosen.Attribute("type") is not { Length: > 0 } type
            || !long.TryParse((string?)chosen.Attribute("bytes"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes))
        {
            return null;
        }

        return new AvatarInfo(id, type, bytes)
        {
            Width = Dimension(chosen.Attribute("width")),
            Height = Dimension(chosen.Attribute("height")),
            Url = (string?)chosen.Attribute("url"),
        };
    }

    /// <summary>The base64 image of a &lt;data/&gt; payload, checked against its id.</summary>
    /// <exception cref="XmppProtocolException">Not base64, too large, or not the image the id names.</exception>
    public static ReadOnlyMemory<byte> DecodeData(XElement data, string id)
    {
        ArgumentNullException.ThrowIfNull(data);
        byte[] image;
        try
        {
            image = Convert.FromBase64String(data.Value);
        }
        catch (FormatException ex)
        {
            throw new XmppProtocolException(StreamErrorCondition.BadFormat, "The avatar data is not base64 (XEP-0084 §4.1).", ex);
        }

        if (image.Length > MaxBytes * 4)
        {
            throw new XmppProtocolException(StreamErrorCondition.PolicyViolation, $"The avatar is {image.Length} bytes, more than the gateway accepts.");
        }

        return Sha1Hex(image) == id.ToLowerInvariant()
            ? image
            : throw new XmppProtocolException(StreamErrorCondition.BadFormat, "The avatar data does not match its id (XEP-0084 §4.2: the SHA-1 of the image).");
    }

    private static Iq Publish(string node, string id, XElement payload) => new()
    {
        Type = IqType.Set,
        Payload = [new XElement(PubSubNs + "pubsub", new XElement(PubSubNs + "publish", new XAttribute("node", node), new XElement(PubSubNs + "item", new XAttribute("id", id), payload)))],
    };

    /// <summary>XEP-0060 §6.5.2: &lt;pubsub&gt;&lt;items&gt;&lt;item&gt;payload; the first item's payload with this name.</summary>
    private static XElement? ItemPayload(XElement? pubsub, XName payload) =>
        pubsub?.Element(PubSubNs + "items")?.Elements(PubSubNs + "item").Select(i => i.Element(payload)).FirstOrDefault(p => p is not null);

    private static int? Dimension(XAttribute? attribute) =>
        int.TryParse((string?)attribute, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
}
