using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Avatar;
using Gateway.Xmpp.Capabilities;
using Gateway.Xmpp.HttpUpload;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.VCard;

namespace Gateway.Api.Contracts;

/// <summary>Maps the account features' library types to JSON, and the vCard request back. Pure.</summary>
public static class AccountMapper
{
    /// <summary>The longest text a vCard field may hold.</summary>
    public const int MaxFieldChars = 4096;

    /// <summary>The most values a vCard list field (emails, telephones, urls) may hold.</summary>
    public const int MaxListItems = 32;

    public static PresenceSnapshotDto ToDto(PresenceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new(ToDto(snapshot.Account), [.. snapshot.Contacts.Select(ToDto)]);
    }

    public static ContactPresenceDto ToDto(ContactPresence contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return new(
            contact.Jid.ToString(),
            contact.Available,
            [.. contact.Resources.Select(r => new ResourcePresenceDto(r.Jid.ToString(), StanzaCodec.ShowWireName(r.Show), r.Status, r.Priority, r.UpdatedAt))],
            contact.UnavailableSince,
            contact.UnavailableStatus);
    }

    public static BlocklistPushDto ToDto(BlocklistChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new(change.Blocked ? "block" : "unblock", [.. change.Jids.Select(j => j.ToString())]);
    }

    public static VCardDto ToDto(Jid of, VCardInfo card)
    {
        ArgumentNullException.ThrowIfNull(of);
        ArgumentNullException.ThrowIfNull(card);
        return new VCardDto
        {
            Jid = of.Bare.ToString(),
            FullName = card.FullName,
            Nickname = card.Nickname,
            GivenName = card.GivenName,
            FamilyName = card.FamilyName,
            Emails = card.Emails,
            Telephones = card.Telephones,
            Urls = card.Urls,
            Note = card.Note,
            Birthday = card.Birthday,
            Title = card.Title,
            Organization = card.Organization,
            Xml = (card.Element ?? VCardTemp.ToElement(card)).ToString(SaveOptions.DisableFormatting),
        };
    }

    public static AvatarDto ToDto(Jid of, AvatarInfo info)
    {
        ArgumentNullException.ThrowIfNull(of);
        ArgumentNullException.ThrowIfNull(info);
        return new(of.Bare.ToString(), info.Id, info.Type, info.Bytes, info.Width, info.Height, info.Url);
    }

    public static ServerCapabilitiesDto ToDto(ServerCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var upload = HttpFileUpload.FindService(capabilities);
        return new(
            ToDto(capabilities.Server),
            [.. capabilities.Services.Select(s => new ServiceDto(s.Item.Jid.ToString(), s.Item.Name, s.Item.Node, s.Info is null ? null : ToDto(s.Info)))],
            capabilities.Account is null ? null : ToDto(capabilities.Account),
            upload is null ? null : new UploadServiceDto(upload.Jid.ToString(), upload.MaxFileSize));
    }

    public static ServiceInfoDto ToDto(ServiceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new(
            info.Jid.ToString(),
            [.. info.Identities.Select(i => new DiscoIdentityDto(i.Category, i.Type, i.Name))],
            [.. info.Features.Order(StringComparer.Ordinal)],
            [.. info.Forms.Select(f => new DataFormDto(f.FormType, f.Fields.GroupBy(x => x.Var).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.SelectMany(x => x.Values)], StringComparer.Ordinal)))]);
    }

    /// <summary>The vCard element a PUT asks for: the raw XML, or one built from the fields; false with the reasons when invalid.</summary>
    public static bool TryCreateVCard(PutVCardRequest? request, out XElement vcard, out Dictionary<string, string[]> errors)
    {
        errors = [];
        vcard = new XElement(VCardTemp.VCardName);
        if (request is null)
        {
            errors["body"] = ["is required: the vCard's fields, or xml"];
            return false;
        }

        if (request.Xml is not null)
        {
            var fieldsGiven = request with { Xml = null } != new PutVCardRequest();
            if (fieldsGiven)
            {
                errors["xml"] = ["cannot be combined with the other fields: send either the fields or xml"];
                return false;
            }

            if (!XmlInput.TryParsePayload(request.Xml, out var element, out var error))
            {
                errors["xml"] = [error];
                return false;
            }

            if (element.Name != VCardTemp.VCardName)
            {
                errors["xml"] = [$"must be a <vCard xmlns='{Xmpp.Protocol.Ns.VCard}'/> element"];
                return false;
            }

            vcard = element;
            return true;
        }

        var card = new VCardInfo
        {
            FullName = Text(request.FullName, "fullName", errors),
            Nickname = Text(request.Nickname, "nickname", errors),
            GivenName = Text(request.GivenName, "givenName", errors),
            FamilyName = Text(request.FamilyName, "familyName", errors),
            Emails = List(request.Emails, "emails", errors),
            Telephones = List(request.Telephones, "telephones", errors),
            Urls = List(request.Urls, "urls", errors),
            Note = Text(request.Note, "note", errors),
            Birthday = Text(request.Birthday, "birthday", errors),
            Title = Text(request.Title, "title", errors),
            Organization = Text(request.Organization, "organization", errors),
        };
        if (errors.Count > 0)
        {
            return false;
        }

        vcard = VCardTemp.ToElement(card);
        return true;
    }

    private static string? Text(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > MaxFieldChars || !XmlInput.IsXmlText(value))
        {
            errors[field] = [$"must be text of at most {MaxFieldChars} characters without control characters"];
            return null;
        }

        return value.Length == 0 ? null : value;
    }

    private static ImmutableArray<string> List(IReadOnlyList<string>? values, string field, Dictionary<string, string[]> errors)
    {
        if (values is null)
        {
            return [];
        }

        if (values.Count > MaxListItems || values.Any(v => v.Length is 0 or > MaxFieldChars || !XmlInput.IsXmlText(v)))
        {
            errors[field] = [$"must hold at most {MaxListItems} non-empty texts of at most {MaxFieldChars} characters without control characters"];
            return [];
        }

        return [.. values];
    }
}
