using System.Security;
using System.Text;

namespace Gateway.Xmpp.Protocol;

/// <summary>The stream's opening and closing tags (RFC 6120 §4.2, §4.4, §4.7).</summary>
internal static class StreamFraming
{
    /// <summary>RFC 6120 §4.4: closes our half of the stream.</summary>
    public static readonly ReadOnlyMemory<byte> ClosingTag = "</stream:stream>"u8.ToArray();

    /// <summary>
    /// RFC 6120 §4.7: <c>to</c> is the server's domain; <c>from</c> our bare JID, which §4.7.1 says
    /// to include only once the stream is encrypted; version 1.0 (§4.7.5).
    /// </summary>
    public static byte[] OpeningTag(string to, string? from, string language)
    {
        var builder = new StringBuilder(256)
            .Append("<?xml version='1.0'?><stream:stream xmlns='").Append(Ns.Client)
            .Append("' xmlns:stream='").Append(Ns.Streams)
            .Append("' to='").Append(SecurityElement.Escape(to)).Append('\'');
        if (from is not null)
        {
            builder.Append(" from='").Append(SecurityElement.Escape(from)).Append('\'');
        }

        builder.Append(" version='1.0' xml:lang='").Append(SecurityElement.Escape(language)).Append("'>");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>RFC 6120 §4.9: the stream error we send before closing when the server broke the protocol.</summary>
    public static byte[] StreamError(StreamErrorCondition condition, string? text) =>
        Encoding.UTF8.GetBytes(
            $"<stream:error><{condition.ToWire()} xmlns='{Ns.StreamErrors}'/>"
            + (text is null ? string.Empty : $"<text xmlns='{Ns.StreamErrors}'>{SecurityElement.Escape(text)}</text>")
            + "</stream:error></stream:stream>");
}
