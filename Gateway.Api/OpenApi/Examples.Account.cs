using Gateway.Api.Contracts;
using Gateway.Api.Errors;

namespace Gateway.Api.OpenApi;

/// <summary>Examples of the account features: presence snapshot, blocklist, vCard, avatar, upload, server capabilities.</summary>
internal static partial class Examples
{
    // Not Since: initializers of a partial class's other files may run first.
    private static readonly DateTimeOffset PresenceSince = new(2025, 1, 31, 9, 30, 0, TimeSpan.Zero);

    public static readonly PresenceSnapshotDto PresenceSnapshot = new(
        new ContactPresenceDto("alice@example.com", Available: true, [new("alice@example.com/gateway", null, null, 0, PresenceSince)], null, null),
        [
            new ContactPresenceDto("bob@example.com", Available: true,
                [new("bob@example.com/phone", "away", "In a meeting until 3 pm", 5, PresenceSince.AddMinutes(12)), new("bob@example.com/laptop", "xa", null, 0, PresenceSince.AddMinutes(-40))],
                null, null),
            new ContactPresenceDto("carol@example.org", Available: false, [], PresenceSince.AddMinutes(3), "Gone home"),
        ]);

    public static readonly GatewayProblemDetails BlockingNotSupported = Make(409, ProblemCodes.FeatureNotSupported, "The server of session 'support-bot' does not support blocking (XEP-0191): it does not announce urn:xmpp:blocking.");

    public static readonly GatewayProblemDetails VCardNotSupported = Make(409, ProblemCodes.FeatureNotSupported, "The server of session 'support-bot' does not support vCards (XEP-0054): it does not announce vcard-temp.");

    public static readonly GatewayProblemDetails UploadNotSupported = Make(409, ProblemCodes.FeatureNotSupported, "The server of session 'support-bot' offers no HTTP file upload service (XEP-0363: no urn:xmpp:http:upload:0 among its disco items).");

    public static readonly BlocklistDto Blocklist = new(["spam.example.net", "troll@example.org"]);

    public static readonly VCardDto VCard = new()
    {
        Jid = "bob@example.com",
        FullName = "Bob Example",
        Nickname = "bob",
        GivenName = "Bob",
        FamilyName = "Example",
        Emails = ["bob@example.com"],
        Urls = ["https://bob.example.com/"],
        Note = "Ask me about orders.",
        Organization = "Example Shop",
        Xml = "<vCard xmlns=\"vcard-temp\"><FN>Bob Example</FN><N><FAMILY>Example</FAMILY><GIVEN>Bob</GIVEN></N><NICKNAME>bob</NICKNAME><URL>https://bob.example.com/</URL><ORG><ORGNAME>Example Shop</ORGNAME></ORG><EMAIL><INTERNET/><USERID>bob@example.com</USERID></EMAIL><DESC>Ask me about orders.</DESC></vCard>",
    };

    public static readonly PutVCardRequest PutVCard = new()
    {
        FullName = "Alice Example",
        Nickname = "alice",
        Emails = ["alice@example.com"],
        Urls = ["https://example.com/support"],
        Note = "Support bot: answers within minutes.",
    };

    public static readonly AvatarDto Avatar = new("alice@example.com", "b2c4a0f3ac8e1f5d1d0b6c77b3c1f4e2a9c6d1e0", "image/png", 5012, 96, 96, null);

    /// <summary>Stands for image bytes in the document (a binary body has no JSON example).</summary>
    public const string AvatarBytes = "(the PNG or JPEG image's bytes)";

    public static readonly GatewayProblemDetails AvatarNotFound = Make(404, ProblemCodes.AvatarNotFound, "bob@example.com has no avatar in its PEP service, or only one at an HTTP URL (see the metadata).");

    public static readonly Dictionary<string, string> UploadForm = new()
    {
        ["file"] = "(the file: report.pdf, application/pdf)",
        ["to"] = "bob@example.com",
        ["desc"] = "Quarterly report",
    };

    public static readonly UploadResultDto UploadResult = new(
        "c2hhcmUtcmVwb3J0LTE", "https://upload.example.com/file_share/0f6c1e3a-2b1d/report.pdf", "report.pdf", 482113, "application/pdf");

    public static readonly GatewayProblemDetails UploadTooLarge = Make(413, ProblemCodes.PayloadTooLarge, "The file (20971520 bytes) is larger than the 10485760 bytes the account's upload service takes.");

    public static readonly ServerCapabilitiesDto ServerCapabilities = new(
        new ServiceInfoDto("example.com", [new("server", "im", "Example XMPP")],
            ["http://jabber.org/protocol/disco#info", "urn:xmpp:blocking", "urn:xmpp:carbons:2", "urn:xmpp:mam:2", "urn:xmpp:ping", "vcard-temp"], []),
        [
            new ServiceDto("conference.example.com", "Chatrooms", null,
                new ServiceInfoDto("conference.example.com", [new("conference", "text", "Chatrooms")], ["http://jabber.org/protocol/muc", "urn:xmpp:mam:2"], [])),
            new ServiceDto("upload.example.com", null, null,
                new ServiceInfoDto("upload.example.com", [new("store", "file", "HTTP File Upload")], ["urn:xmpp:http:upload:0"],
                    [new DataFormDto("urn:xmpp:http:upload:0", new Dictionary<string, IReadOnlyList<string>> { ["max-file-size"] = ["10485760"] })])),
        ],
        new ServiceInfoDto("alice@example.com", [new("account", "registered", null), new("pubsub", "pep", null)],
            ["http://jabber.org/protocol/pubsub#publish", "urn:xmpp:mam:2", "urn:xmpp:sid:0"], []),
        new UploadServiceDto("upload.example.com", 10485760));
}
