// XEP-0066: Out of Band Data (v1.5) https://xmpp.org/extensions/xep-0066.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>A URL sent with a message (XEP-0066 §3: jabber:x:oob), e.g. a file uploaded with XEP-0363.</summary>
/// <param name="Url">The URL (§3: REQUIRED).</param>
/// <param name="Description">What it is (§3: OPTIONAL).</param>
public sealed record OutOfBandData(string Url, string? Description);

/// <summary>Reads and writes the XEP-0066 <c>&lt;x xmlns='jabber:x:oob'/&gt;</c> element.</summary>
public static class OobElements
{
    public static readonly XName X = XName.Get("x", Ns.Oob);
    private static readonly XName UrlName = XName.Get("url", Ns.Oob);
    private static readonly XName DescName = XName.Get("desc", Ns.Oob);

    public static XElement Create(OutOfBandData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(data.Url);
        var element = new XElement(X, new XElement(UrlName, data.Url));
        if (data.Description is not null)
        {
            element.Add(new XElement(DescName, data.Description));
        }

        return element;
    }

    /// <summary>The message's out-of-band data; null when it carries none or its URL is empty.</summary>
    public static OutOfBandData? Read(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.FindPayload(X) is { } element && element.Element(UrlName)?.Value.Trim() is { Length: > 0 } url
            ? new OutOfBandData(url, element.Element(DescName)?.Value)
            : null;
    }
}
