// XEP-0363: HTTP File Upload (v1.1.0) https://xmpp.org/extensions/xep-0363.html
using System.Collections.Immutable;
using System.Globalization;
using System.Xml.Linq;
using Gateway.Xmpp.Capabilities;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.HttpUpload;

/// <summary>An upload service (XEP-0363 §3) and the largest file it takes, when it says (its max-file-size field).</summary>
public sealed record UploadService(Jid Jid, long? MaxFileSize);

/// <summary>
/// A slot (XEP-0363 §4): where to PUT the file, with the headers the service asks for, and the URL to share.
/// </summary>
public sealed record UploadSlot(Uri PutUrl, Uri GetUrl, ImmutableArray<KeyValuePair<string, string>> Headers);

/// <summary>Discovery and slot requests of XEP-0363. Parsing is pure.</summary>
public static class HttpFileUpload
{
    private static readonly XNamespace UploadNs = Ns.HttpUpload;

    /// <summary>
    /// XEP-0363 §5: the only headers a slot may ask for. Anything else is dropped (§5: ignored by the requesting
    /// entity), so a service cannot make the gateway send, say, a Host or Content-Length of its choosing.
    /// </summary>
    public static readonly ImmutableArray<string> AllowedHeaders = ["Authorization", "Cookie", "Expires"];

    /// <summary>
    /// XEP-0363 §3: the service among the server's (the domain itself or a disco#items entry) that announces the
    /// feature; its limit from the XEP-0128 form with the upload FORM_TYPE. Null when there is none.
    /// </summary>
    public static UploadService? FindService(ServerCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        return capabilities.FindService(Ns.HttpUpload) is { } info ? new UploadService(info.Jid, MaxFileSize(info)) : null;
    }

    /// <summary>The max-file-size field of the service's upload form, in bytes; null when absent or not a number.</summary>
    public static long? MaxFileSize(ServiceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return long.TryParse(info.Form(Ns.HttpUpload)?.Value("max-file-size"), NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : null;
    }

    /// <summary>XEP-0363 §4: asks <paramref name="service"/> for a slot for this file.</summary>
    /// <exception cref="StanzaErrorException">Refused, e.g. not-acceptable with &lt;file-too-large/&gt; (§4.1) or resource-constraint (quota).</exception>
    /// <exception cref="XmppProtocolException">The slot is unusable (no or a malformed URL).</exception>
    public static async Task<UploadSlot> RequestSlotAsync(this IStanzaSender client, Jid service, string fileName, long size, string contentType, bool allowHttp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = service, Payload = [SlotRequest(fileName, size, contentType)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ParseSlot(reply.Query, allowHttp);
    }

    /// <summary>The &lt;request/&gt; of XEP-0363 §4.</summary>
    public static XElement SlotRequest(string fileName, long size, string contentType)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new XElement(UploadNs + "request",
            new XAttribute("filename", fileName),
            new XAttribute("size", size.ToString(CultureInfo.InvariantCulture)),
            string.IsNullOrEmpty(contentType) ? null : new XAttribute("content-type", contentType));
    }

    /// <summary>
    /// Reads a &lt;slot/&gt;: both URLs absolute and HTTPS (XEP-0363 §4: the service MUST use HTTPS; plain HTTP only
    /// when <paramref name="allowHttp"/>, for test and development setups); headers limited to <see cref="AllowedHeaders"/>
    /// with newlines stripped (§5: against header injection).
    /// </summary>
    /// <exception cref="XmppProtocolException">No slot, or a URL that is missing, relative or of another scheme.</exception>
    public static UploadSlot ParseSlot(XElement? slot, bool allowHttp)
    {
        if (slot is null || slot.Name != UploadNs + "slot")
        {
            throw new XmppProtocolException(StreamErrorCondition.BadFormat, "The upload service answered without a slot (XEP-0363 §4).");
        }

        var put = slot.Element(UploadNs + "put");
        var putUrl = Url((string?)put?.Attribute("url"), "put", allowHttp);
        var getUrl = Url((string?)slot.Element(UploadNs + "get")?.Attribute("url"), "get", allowHttp);
        var headers = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var header in put!.Elements(UploadNs + "header"))
        {
            var name = StripNewlines((string?)header.Attribute("name") ?? "");
            var allowed = AllowedHeaders.FirstOrDefault(h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
            if (allowed is not null)
            {
                headers.Add(new(allowed, StripNewlines(header.Value)));
            }
        }

        return new UploadSlot(putUrl, getUrl, headers.ToImmutable());
    }

    private static Uri Url(string? value, string which, bool allowHttp)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || !(url.Scheme == Uri.UriSchemeHttps || (allowHttp && url.Scheme == Uri.UriSchemeHttp)) || !string.IsNullOrEmpty(url.UserInfo))
        {
            throw new XmppProtocolException(StreamErrorCondition.BadFormat,
                $"The upload slot's {which} URL is missing or not an absolute HTTPS URL (XEP-0363 §4){(allowHttp ? "" : "; plain HTTP is accepted only with Gateway:Pool:AllowHostOverride")}.");
        }

        return url;
    }

    private static string StripNewlines(string value) => value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

    /// <summary>
    /// XEP-0066 §3 out-of-band data for the shared file; the body carries the URL too (XEP-0363 §1: clients show a file
    /// inline when the body is exactly the OOB URL).
    /// </summary>
    public static Message OobMessage(Jid to, MessageType type, Uri url, string? description)
    {
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(url);
        XNamespace oob = Ns.Oob;
        return new Message
        {
            To = to,
            Type = type,
            Body = url.AbsoluteUri,
            Payload = [new XElement(oob + "x", new XElement(oob + "url", url.AbsoluteUri), description is null ? null : new XElement(oob + "desc", description))],
        };
    }
}
