// XEP-0084: User Avatar (v1.1.4) https://xmpp.org/extensions/xep-0084.html
namespace Gateway.Xmpp.Avatar;

/// <summary>
/// One &lt;info/&gt; of avatar metadata (XEP-0084 §4.2): the image's SHA-1 as lowercase hex (<see cref="Id"/>, also
/// the data item's id), its size in bytes, MIME type and, when given, pixel size and an HTTP location.
/// </summary>
public sealed record AvatarInfo(string Id, string Type, long Bytes)
{
    public int? Width { get; init; }

    public int? Height { get; init; }

    /// <summary>Where the image is published outside PEP, when it is (XEP-0084 §4.2.1); the data node has none then.</summary>
    public string? Url { get; init; }
}

/// <summary>An avatar image with its metadata.</summary>
public sealed record AvatarImage(AvatarInfo Info, ReadOnlyMemory<byte> Data);
