using System.Xml.Linq;

namespace Gateway.Xmpp.Protocol;

/// <summary>Recognises and parses <c>&lt;stream:error/&gt;</c> (RFC 6120 §4.9).</summary>
internal static class StreamErrors
{
    public static readonly XName ErrorName = XName.Get("error", Ns.Streams);

    public static bool IsStreamError(XElement element) => element.Name == ErrorName;

    public static StreamErrorException Parse(XElement error)
    {
        var condition = StreamErrorCondition.UndefinedCondition;
        string? text = null, otherHost = null;
        XName? applicationCondition = null;
        foreach (var child in error.Elements())
        {
            if (child.Name.Namespace != Ns.StreamErrors)
            {
                // RFC 6120 §4.9.4: an application-specific condition may follow the defined one.
                applicationCondition ??= child.Name;
                continue;
            }

            if (child.Name.LocalName == "text")
            {
                text ??= child.Value;
            }
            else if (condition == StreamErrorCondition.UndefinedCondition)
            {
                condition = StreamErrorConditions.FromWire(child.Name.LocalName);
                if (condition == StreamErrorCondition.SeeOtherHost && child.Value.Length > 0)
                {
                    otherHost = child.Value;
                }
            }
        }

        return new StreamErrorException(condition, text, otherHost) { ApplicationCondition = applicationCondition };
    }
}
