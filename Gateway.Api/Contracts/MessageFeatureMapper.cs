using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Api.Contracts;

/// <summary>
/// The typed IM features of a message send (chat state, correction, retraction, reply, reactions, out-of-band data,
/// displayed marker, no-copy) into their extension elements; validation errors keyed by JSON field name.
/// </summary>
internal static class MessageFeatureMapper
{
    public const int MaxReactions = 32;
    public const int MaxEmojiChars = 64;
    public const int MaxUrlChars = 2048;
    public const int MaxOobDescChars = 1024;

    /// <summary>The elements a send's typed features add, the body they imply when none is given, and whether there were any.</summary>
    internal readonly record struct TypedFeatures(ImmutableArray<XElement> Payload, string? DefaultBody, bool Any);

    /// <summary>
    /// The typed features' elements, after the raw <paramref name="raw"/> payloads (which must not carry the same
    /// extension: one way only, or the stanza would hold it twice).
    /// </summary>
    internal static TypedFeatures Map(PostMessageRequest request, ImmutableArray<XElement> raw, Dictionary<string, string[]> errors)
    {
        var added = ImmutableArray.CreateBuilder<XElement>();
        string? defaultBody = null;
        var any = false;

        if (request.ChatState is { } chatState)
        {
            any = true;
            if (ChatStateElements.TryParse(chatState, out var state))
            {
                added.Add(ChatStateElements.Create(state));
            }
            else
            {
                RequestMapper.Add(errors, "chatState", "must be active, composing, paused, inactive or gone (XEP-0085 §2)");
            }

            Conflict(raw, "chatState", errors, e => e.Name.NamespaceName == Ns.ChatStates);
        }

        if (request.Replaces is { } replaces)
        {
            // XEP-0308 §3: the correction's body replaces the original's; without one there is nothing to correct with.
            if (FeatureId(replaces, "replaces", errors))
            {
                added.Add(CorrectionElements.Create(replaces));
                if (request.Body is null)
                {
                    RequestMapper.Add(errors, "replaces", "needs a body: the corrected text (XEP-0308 §3)");
                }
            }

            if (request.Retracts is not null)
            {
                RequestMapper.Add(errors, "replaces", "cannot be combined with retracts");
            }

            Conflict(raw, "replaces", errors, e => e.Name.NamespaceName == Ns.MessageCorrect);
        }

        if (request.Retracts is { } retracts)
        {
            any = true;
            // XEP-0424 §3: the retraction, a XEP-0428 indication that the body is a fallback, and a XEP-0334 store hint,
            // so that servers archive it; the body clients without support show.
            if (FeatureId(retracts, "retracts", errors))
            {
                added.Add(RetractionElements.Create(retracts));
            }

            if (!raw.Any(e => e.Name == FallbackElements.Fallback && (string?)e.Attribute("for") == Ns.MessageRetract))
            {
                added.Add(FallbackElements.For(Ns.MessageRetract));
            }

            defaultBody = RetractionElements.FallbackBody;
            Conflict(raw, "retracts", errors, e => e.Name.NamespaceName == Ns.MessageRetract);
        }

        if (request.ReplyTo is { } replyTo)
        {
            if (FeatureId(replyTo.Id, "replyTo.id", errors))
            {
                var to = RequestMapper.OptionalJid(replyTo.To, "replyTo.to", errors);
                added.Add(ReplyElements.Create(new MessageReply(replyTo.Id!, to)));
            }

            Conflict(raw, "replyTo", errors, e => e.Name.NamespaceName == Ns.Reply);
        }

        if (request.Reactions is { } reactions)
        {
            any = true;
            var idValid = FeatureId(reactions.Id, "reactions.id", errors);
            var emojis = Emojis(reactions.Emojis, errors);
            if (idValid && emojis is { } valid)
            {
                added.Add(ReactionElements.Create(new MessageReactions(reactions.Id!, valid)));
            }

            Conflict(raw, "reactions", errors, e => e.Name.NamespaceName == Ns.Reactions);
        }

        if (request.Oob is { } oob)
        {
            any = true;
            if (string.IsNullOrEmpty(oob.Url))
            {
                RequestMapper.Add(errors, "oob.url", "is required");
            }
            else if (oob.Url.Length > MaxUrlChars || !XmlInput.IsXmlText(oob.Url)
                || !Uri.TryCreate(oob.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                RequestMapper.Add(errors, "oob.url", $"must be an absolute http or https URL of at most {MaxUrlChars} characters");
            }
            else
            {
                added.Add(OobElements.Create(new OutOfBandData(oob.Url, oob.Desc)));

                // Clients show a link or an inline image when the body is exactly the URL (what XEP-0363 uploads send).
                defaultBody ??= oob.Url;
            }

            RequestMapper.Text(oob.Desc, "oob.desc", errors, MaxOobDescChars);
            Conflict(raw, "oob", errors, e => e.Name.NamespaceName == Ns.Oob);
        }

        if (request.Displayed is { } displayed)
        {
            any = true;
            if (FeatureId(displayed, "displayed", errors))
            {
                added.Add(ReceiptElements.DisplayedFor(displayed));
            }

            Conflict(raw, "displayed", errors, e => e.Name == ReceiptElements.MarkerDisplayed);
        }

        if (request.NoCopy == true)
        {
            // XEP-0280 §9: <private/>, with the XEP-0334 no-copy hint for servers that go by hints.
            added.Add(CarbonElements.PrivateElement());
            added.Add(HintElements.NoCopyHint());
            Conflict(raw, "noCopy", errors, e => e.Name == CarbonElements.Private || e.Name == HintElements.NoCopy);
        }

        // The gateway keeps a caller's own receipt request or markable flag; with false it would contradict itself.
        if (request.RequestReceipts == false
            && IndexOf(raw, e => e.Name == ReceiptElements.Request || e.Name == ReceiptElements.Markable) is var asking and >= 0)
        {
            RequestMapper.Add(errors, "requestReceipts", $"is false, but payloads[{asking}] ({Describe(raw[asking])}) asks for reports: drop one of them");
        }

        // XEP-0424 §3 (MAY) and XEP-0444 §5 (SHOULD): archive a retraction or reaction even where it has no body.
        if ((request.Retracts is not null || request.Reactions is not null) && !raw.Any(e => e.Name == HintElements.Store))
        {
            added.Add(HintElements.StoreHint());
        }

        // A correction or a reply alone is no content: both need a body (checked by the caller).
        return new TypedFeatures(added.ToImmutable(), defaultBody, any);
    }

    /// <summary>A referenced message's id: 1-128 characters of XML text. Adds the error and returns false otherwise.</summary>
    private static bool FeatureId(string? id, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(id))
        {
            RequestMapper.Add(errors, field, "is required: the id of the message referred to");
            return false;
        }

        if (id.Length > RequestMapper.MaxIdLength || !XmlInput.IsXmlText(id))
        {
            RequestMapper.Add(errors, field, $"must be 1 to {RequestMapper.MaxIdLength} characters, none of them control characters");
            return false;
        }

        return true;
    }

    private static ImmutableArray<string>? Emojis(IReadOnlyList<string>? emojis, Dictionary<string, string[]> errors)
    {
        if (emojis is null)
        {
            RequestMapper.Add(errors, "reactions.emojis", "is required: the complete set of reactions (an empty list removes them all, XEP-0444 §4.2)");
            return null;
        }

        if (emojis.Count > MaxReactions)
        {
            RequestMapper.Add(errors, "reactions.emojis", $"may hold at most {MaxReactions} reactions");
            return null;
        }

        var valid = true;
        for (var i = 0; i < emojis.Count; i++)
        {
            var emoji = emojis[i];
            if (string.IsNullOrWhiteSpace(emoji) || emoji.Length > MaxEmojiChars || !XmlInput.IsXmlText(emoji))
            {
                RequestMapper.Add(errors, $"reactions.emojis[{i}]", $"must be an emoji: 1 to {MaxEmojiChars} characters, not blank, no control characters");
                valid = false;
            }
            else if (emojis.Take(i).Contains(emoji, StringComparer.Ordinal))
            {
                // XEP-0444 §5: a <reactions/> element MUST NOT contain the same reaction more than once.
                RequestMapper.Add(errors, $"reactions.emojis[{i}]", "repeats an earlier reaction (XEP-0444 §5: each at most once)");
                valid = false;
            }
        }

        return valid ? [.. emojis] : null;
    }

    /// <summary>Refuses a raw payload of the extension a typed field sets: the stanza would carry it twice.</summary>
    private static void Conflict(ImmutableArray<XElement> raw, string field, Dictionary<string, string[]> errors, Func<XElement, bool> sameExtension)
    {
        if (IndexOf(raw, sameExtension) is var i and >= 0)
        {
            RequestMapper.Add(errors, field, $"is also given as a raw payload (payloads[{i}], {Describe(raw[i])}): set it one way only");
        }
    }

    /// <summary>The position of the first raw payload that matches, or -1.</summary>
    private static int IndexOf(ImmutableArray<XElement> raw, Func<XElement, bool> match)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (match(raw[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A payload as an error message names it: its element and namespace.</summary>
    private static string Describe(XElement payload) => $"<{payload.Name.LocalName} xmlns='{payload.Name.NamespaceName}'/>";
}
