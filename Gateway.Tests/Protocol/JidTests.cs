using System.Diagnostics.CodeAnalysis;
using Gateway.Xmpp;

namespace Gateway.Tests.Protocol;

[Trait("Tier", "Unit")]
[Trait("Spec", "RFC 7622")]
public sealed class JidTests
{
    [Theory]
    // RFC 7622 §3.5.1 examples.
    [InlineData("juliet@example.com", "juliet", "example.com", null)]
    [InlineData("juliet@example.com/foo", "juliet", "example.com", "foo")]
    [InlineData("juliet@example.com/foo bar", "juliet", "example.com", "foo bar")]
    [InlineData("juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar")]
    [InlineData("foo\\20bar@example.com", "foo\\20bar", "example.com", null)]
    [InlineData("fussball@example.com", "fussball", "example.com", null)]
    [InlineData("fu\u00DFball@example.com", "fu\u00DFball", "example.com", null)]
    [InlineData("\u03C0@example.com", "\u03C0", "example.com", null)]
    [InlineData("\u03A3@example.com/foo", "\u03C3", "example.com", "foo")]
    [InlineData("king@example.com/\u265A", "king", "example.com", "\u265A")]
    [InlineData("example.com", null, "example.com", null)]
    [InlineData("example.com/foobar", null, "example.com", "foobar")]
    [InlineData("a.example.com/b@example.net", null, "a.example.com", "b@example.net")]
    // Resourcepart: everything after the first '/', '/' and '@' included; case and inner spaces kept.
    [InlineData("juliet@example.com/foo/bar@baz/", "juliet", "example.com", "foo/bar@baz/")]
    [InlineData("juliet@example.com/ Balcony ", "juliet", "example.com", " Balcony ")]
    [InlineData("juliet@example.com/\u00A0foo", "juliet", "example.com", " foo")]
    [InlineData("juliet@example.com/caf\u0065\u0301", "juliet", "example.com", "caf\u00E9")]
    // Case mapping of localpart and domainpart only.
    [InlineData("JULIET@EXAMPLE.COM/Balcony", "juliet", "example.com", "Balcony")]
    [InlineData("\u00C9LISE@example.com", "\u00E9lise", "example.com", null)]
    [InlineData("e\u0301@example.com", "\u00E9", "example.com", null)]
    [InlineData("\uFF4A\uFF55\uFF4C\uFF49\uFF45\uFF54@example.com", "juliet", "example.com", null)]
    // Domainpart forms.
    [InlineData("juliet@example.com.", "juliet", "example.com", null)]
    [InlineData("juliet@example.com./r", "juliet", "example.com", "r")]
    [InlineData("localhost", null, "localhost", null)]
    [InlineData("x@a", "x", "a", null)]
    [InlineData("juliet@my-host.example", "juliet", "my-host.example", null)]
    [InlineData("juliet@192.0.2.1", "juliet", "192.0.2.1", null)]
    [InlineData("juliet@0.0.0.0/r", "juliet", "0.0.0.0", "r")]
    [InlineData("juliet@[2001:DB8:0:0:0:0:0:1]/r", "juliet", "[2001:db8::1]", "r")]
    [InlineData("[::1]", null, "[::1]", null)]
    // RFC 7622 §3.2.2: A-labels become U-labels.
    [InlineData("juliet@xn--bcher-kva.example", "juliet", "b\u00FCcher.example", null)]
    [InlineData("juliet@XN--BCHER-KVA.example", "juliet", "b\u00FCcher.example", null)]
    [InlineData("juliet@B\u00DCCHER.example", "juliet", "b\u00FCcher.example", null)]
    [InlineData("juliet@bu\u0308cher.example", "juliet", "b\u00FCcher.example", null)]
    [InlineData("juliet@example\uFF0Ecom", "juliet", "example.com", null)]
    [InlineData("juliet@example\u3002com\u3002", "juliet", "example.com", null)]
    [InlineData("\u0939\u093F\u0928\u094D\u0926\u0940.\u092D\u093E\u0930\u0924", null, "\u0939\u093F\u0928\u094D\u0926\u0940.\u092D\u093E\u0930\u0924", null)]
    // Deliberately lenient: IdentifierClass would refuse a symbol (RFC 7622 §3.5.2), nodeprep-era servers did not.
    [InlineData("\u265A@example.com", "\u265A", "example.com", null)]
    public void Parse_ValidJid_ReturnsNormalisedParts(string input, string? local, string domain, string? resource)
    {
        Jid jid = Jid.Parse(input);

        Assert.Equal(local, jid.Local);
        Assert.Equal(domain, jid.Domain);
        Assert.Equal(resource, jid.Resource);
        Assert.Equal(resource is null, jid.IsBare);
    }

    [Theory]
    // RFC 7622 §3.5.2 examples that the subset enforces.
    [InlineData("\"juliet\"@example.com", JidPart.Local, "forbidden character '\"'")]
    [InlineData("foo bar@example.com", JidPart.Local, "whitespace U+0020")]
    [InlineData("juliet@", JidPart.Domain, "domainpart is empty")]
    [InlineData("/foobar", JidPart.Domain, "domainpart is empty")]
    // RFC 7622 §3.3.1 forbidden characters that can reach the localpart through parsing ('/' and '@' cannot).
    [InlineData("ju&liet@example.com", JidPart.Local, "forbidden character '&'")]
    [InlineData("ju'liet@example.com", JidPart.Local, "forbidden character '''")]
    [InlineData("ju:liet@example.com", JidPart.Local, "forbidden character ':'")]
    [InlineData("ju<liet@example.com", JidPart.Local, "forbidden character '<'")]
    [InlineData("ju>liet@example.com", JidPart.Local, "forbidden character '>'")]
    [InlineData("\uFF02juliet\uFF02@example.com", JidPart.Local, "forbidden character '\"'")]
    [InlineData("foo\u3000bar@example.com", JidPart.Local, "whitespace U+0020")]
    [InlineData("foo\u00A0bar@example.com", JidPart.Local, "whitespace U+00A0")]
    [InlineData("foo\tbar@example.com", JidPart.Local, "control character U+0009")]
    [InlineData("foo\u007F@example.com", JidPart.Local, "control character U+007F")]
    [InlineData("foo\u0085@example.com", JidPart.Local, "control character U+0085")]
    [InlineData("foo\u200B@example.com", JidPart.Local, "format character U+200B")]
    [InlineData("foo\u202E@example.com", JidPart.Local, "format character U+202E")]
    // Empty parts (RFC 7622 §3.1-3.4).
    [InlineData("", JidPart.Whole, "JID is empty")]
    [InlineData("@example.com", JidPart.Local, "localpart is empty")]
    [InlineData("@example.com/", JidPart.Local, "localpart is empty")]
    [InlineData("@", JidPart.Local, "localpart is empty")]
    [InlineData("juliet@/foo", JidPart.Domain, "domainpart is empty")]
    [InlineData("/", JidPart.Domain, "domainpart is empty")]
    [InlineData(".", JidPart.Domain, "domainpart is empty")]
    [InlineData("juliet@.", JidPart.Domain, "domainpart is empty")]
    [InlineData("juliet@example.com/", JidPart.Resource, "resourcepart is empty")]
    [InlineData("example.com/", JidPart.Resource, "resourcepart is empty")]
    // Resourcepart: control characters, nothing but whitespace.
    [InlineData("juliet@example.com/foo\u0000", JidPart.Resource, "control character U+0000")]
    [InlineData("juliet@example.com/foo\nbar", JidPart.Resource, "control character U+000A")]
    [InlineData("juliet@example.com/   ", JidPart.Resource, "only of whitespace")]
    [InlineData("juliet@example.com/\u3000\u2003", JidPart.Resource, "only of whitespace")]
    // Domainpart labels.
    [InlineData("juliet@-example.com", JidPart.Domain, "starts or ends with '-'")]
    [InlineData("juliet@example-.com", JidPart.Domain, "starts or ends with '-'")]
    [InlineData("juliet@example.-com", JidPart.Domain, "starts or ends with '-'")]
    [InlineData("juliet@example..com", JidPart.Domain, "empty label")]
    [InlineData("juliet@.example.com", JidPart.Domain, "empty label")]
    [InlineData("juliet@example.com..", JidPart.Domain, "empty label")]
    [InlineData("juliet@exa_mple.com", JidPart.Domain, "invalid character '_'")]
    [InlineData("juliet@exa mple.com", JidPart.Domain, "invalid character U+0020")]
    [InlineData("juliet@exa:mple.com", JidPart.Domain, "invalid character ':'")]
    [InlineData("a@b@example.com", JidPart.Domain, "invalid character '@'")]
    [InlineData("juliet@exa\u2603mple.com", JidPart.Domain, "invalid character U+2603")]
    [InlineData("juliet@exam\u0007ple.com", JidPart.Domain, "invalid character U+0007")]
    // Domainpart IP literals.
    [InlineData("juliet@256.0.0.1", JidPart.Domain, "not a dotted-quad IPv4")]
    [InlineData("juliet@192.0.2", JidPart.Domain, "not a dotted-quad IPv4")]
    [InlineData("juliet@192.0.2.1.5", JidPart.Domain, "not a dotted-quad IPv4")]
    [InlineData("juliet@01.2.3.4", JidPart.Domain, "not a dotted-quad IPv4")]
    [InlineData("juliet@1..2.3", JidPart.Domain, "not a dotted-quad IPv4")]
    [InlineData("juliet@[::1", JidPart.Domain, "not a bracketed IPv6")]
    [InlineData("juliet@[]", JidPart.Domain, "not a bracketed IPv6")]
    [InlineData("juliet@[example.com]", JidPart.Domain, "not a bracketed IPv6")]
    [InlineData("juliet@[192.0.2.1]", JidPart.Domain, "not a bracketed IPv6")]
    [InlineData("juliet@[fe80::1%25eth0]", JidPart.Domain, "not a bracketed IPv6")]
    [InlineData("juliet@[::1]:5222", JidPart.Domain, "not a bracketed IPv6")]
    [InlineData("juliet@::1", JidPart.Domain, "invalid character ':'")]
    public void Parse_InvalidJid_ThrowsJidFormatException(string input, JidPart part, string messageFragment)
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse(input));

        Assert.Equal(part, ex.Part);
        Assert.Contains(messageFragment, ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Theory]
    [InlineData("ju&liet@example.com", "JID localpart contains forbidden character '&' (RFC 7622 §3.3.1)")]
    [InlineData("juliet@", "JID domainpart is empty (RFC 7622 §3.2)")]
    [InlineData("juliet@example.com/", "JID resourcepart is empty although '/' is present (RFC 7622 §3.4)")]
    public void TryParse_InvalidJid_ReturnsFalseAndParseMessage(string input, string expectedError)
    {
        bool ok = Jid.TryParse(input, out Jid? jid, out string? error);

        Assert.False(ok);
        Assert.Null(jid);
        Assert.Equal(expectedError, error);
        Assert.Equal(expectedError, Assert.Throws<JidFormatException>(() => Jid.Parse(input)).Message);
        Assert.False(Jid.TryParse(input, out _));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(Jid.TryParse(null, out Jid? jid, out string? error));
        Assert.Null(jid);
        Assert.Equal("JID is empty", error);
        Assert.False(Jid.TryParse(null, out _));
    }

    [Fact]
    public void TryParse_ValidJid_ReturnsTrueAndNoError()
    {
        Assert.True(Jid.TryParse("Juliet@Example.com/Balcony", out Jid? jid, out string? error));
        Assert.Null(error);
        Assert.Equal("juliet@example.com/Balcony", jid.ToString());
        Assert.True(Jid.TryParse("example.com", out Jid? plain));
        Assert.Equal("example.com", plain.Domain);
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => Jid.Parse(null!));

    [Theory]
    [InlineData(JidPart.Local)]
    [InlineData(JidPart.Domain)]
    [InlineData(JidPart.Resource)]
    public void Parse_PartOf1023Octets_Succeeds(JidPart part)
    {
        Jid jid = Jid.Parse(JidWithPart(part, AsciiPart(part, 1023)));

        Assert.Equal(1023, PartOf(jid, part)!.Length);
    }

    [Theory]
    [InlineData(JidPart.Local, 1024)]
    [InlineData(JidPart.Domain, 1024)]
    [InlineData(JidPart.Resource, 1024)]
    [InlineData(JidPart.Local, 3000)]
    [InlineData(JidPart.Resource, 3000)]
    public void Parse_PartOver1023Octets_ThrowsForThatPart(JidPart part, int octets)
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse(JidWithPart(part, AsciiPart(part, octets))));

        Assert.Equal(part, ex.Part);
        Assert.Contains("longer than 1023 octets", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JidPart.Local)]
    [InlineData(JidPart.Domain)]
    [InlineData(JidPart.Resource)]
    public void Parse_MultiBytePartOver1023Octets_ThrowsForThatPart(JidPart part)
    {
        // U+00E9 is one UTF-16 unit but two octets of UTF-8, so these fit in 1023 units yet not in 1023 octets.
        string precomposed = OctetsOfEAcute(part, 1024, decomposed: false);
        string decomposed = OctetsOfEAcute(part, 1024, decomposed: true);

        Assert.True(precomposed.Length < 1023);
        Assert.Equal(part, Assert.Throws<JidFormatException>(() => Jid.Parse(JidWithPart(part, precomposed))).Part);
        Assert.Equal(part, Assert.Throws<JidFormatException>(() => Jid.Parse(JidWithPart(part, decomposed))).Part);
        Assert.Contains("longer than 1023 octets", Assert.Throws<JidFormatException>(
            () => Jid.Parse(JidWithPart(part, precomposed))).Message, StringComparison.Ordinal);
        Assert.Equal(
            OctetsOfEAcute(part, 1023, decomposed: false),
            PartOf(Jid.Parse(JidWithPart(part, OctetsOfEAcute(part, 1023, decomposed: true))), part));
    }

    [Theory]
    [InlineData(JidPart.Local)]
    [InlineData(JidPart.Resource)]
    public void Parse_DecomposedPartOver1023Units_FitsOnceComposed(JidPart part)
    {
        // "u" + U+0308 + U+0304 is three UTF-16 units that NFC composes into U+01D6, two octets of UTF-8.
        string decomposed = string.Concat(Enumerable.Repeat("u\u0308\u0304", 511));

        Jid jid = Jid.Parse(JidWithPart(part, decomposed));

        Assert.Equal(1533, decomposed.Length);
        Assert.Equal(new string('\u01D6', 511), PartOf(jid, part));
    }

    [Fact]
    public void Parse_DomainWithTrailingDotAt1024Chars_StripsDotAndSucceeds()
    {
        Jid jid = Jid.Parse("juliet@" + AsciiPart(JidPart.Domain, 1023) + ".");

        Assert.Equal(1023, jid.Domain.Length);
    }

    [Fact]
    public void Parse_WholeStringFarTooLong_ThrowsForWhole()
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse(new string('a', 20_000)));

        Assert.Equal(JidPart.Whole, ex.Part);
    }

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void Parse_LabelLength_LimitIs63(int length, bool valid)
    {
        string input = "juliet@" + new string('a', length) + ".example";

        bool parsed = Jid.TryParse(input, out _, out string? error);

        Assert.Equal(valid, parsed);
        Assert.Equal(valid ? null : "JID domainpart has a label longer than 63 characters (RFC 1034 §3.1)", error);
    }

    [Theory]
    [InlineData(JidPart.Local, 0xD800)]
    [InlineData(JidPart.Local, 0xDC00)]
    [InlineData(JidPart.Domain, 0xDBFF)]
    [InlineData(JidPart.Resource, 0xDFFF)]
    public void Parse_UnpairedSurrogate_ThrowsForThatPart(JidPart part, int surrogate)
    {
        // Built here rather than in InlineData: a lone surrogate does not survive test-case serialisation.
        string value = "a" + (char)surrogate + "b";

        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse(JidWithPart(part, value)));

        Assert.Equal(part, ex.Part);
        Assert.Contains($"unpaired surrogate U+{surrogate:X4}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SurrogatePairs_AreAccepted()
    {
        Jid jid = Jid.Parse("\U0001D49Cx@example.com/\U0001F600");

        Assert.Equal("\U0001D49Cx", jid.Local);
        Assert.Equal("\U0001F600", jid.Resource);
    }

    [Theory]
    // UAX #15 corner cases, run through the resourcepart, which has NFC but no case mapping.
    [InlineData("a\u0323\u0302", "\u1EAD")]                  // canonical reordering before composition
    [InlineData("a\u0302\u0323", "\u1EAD")]
    [InlineData("\u1E0B\u0323", "\u1E0D\u0307")]              // decompose, reorder, recompose differently
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]            // reorder without composition
    [InlineData("a\u0301\u0301", "\u00E1\u0301")]             // second mark blocked
    [InlineData("\u00E9\u0300", "\u00E9\u0300")]
    [InlineData("\u0301a", "\u0301a")]                        // leading non-starter stays
    [InlineData("\u212B", "\u00C5")]                          // singleton decompositions
    [InlineData("\u2126", "\u03A9")]
    [InlineData("\uF900", "\u8C48")]
    [InlineData("\u0958", "\u0915\u093C")]                    // composition exclusion
    [InlineData("\u0344", "\u0308\u0301")]                    // non-starter decomposition
    [InlineData("\u0B47\u0B3E", "\u0B4B")]                    // two starters compose
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]              // Hangul L+V+T
    [InlineData("\uAC00\u11A8", "\uAC01")]                    // Hangul LV+T
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")]        // supplementary, excluded
    [InlineData("\U00011099\U000110BA", "\U0001109A")]        // supplementary composition
    public void Parse_ResourceNeedingNfc_IsNormalised(string resource, string expected)
    {
        Assert.Equal(expected, Jid.Parse("example.com/" + resource).Resource);
    }

    [Theory]
    [InlineData("Juliet@Example.COM/balcony", "juliet@example.com/balcony")]
    [InlineData("juliet@example.com./balcony", "juliet@example.com/balcony")]
    [InlineData("e\u0301lise@example.com", "\u00E9lise@example.com")]
    [InlineData("x@[2001:db8:0::1]", "x@[2001:db8::1]")]
    [InlineData("example.com/r\u0065\u0301s", "example.com/r\u00E9s")]
    public void Equals_EquivalentSpellings_AreEqualWithSameHashCode(string left, string right)
    {
        Jid a = Jid.Parse(left);
        Jid b = Jid.Parse(right);

        Assert.True(a.Equals(b));
        Assert.True(a.Equals((object)b));
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Single(new HashSet<Jid> { a, b });
    }

    [Theory]
    [InlineData("juliet@example.com/balcony", "juliet@example.com/Balcony")]
    [InlineData("juliet@example.com/balcony", "juliet@example.com")]
    [InlineData("juliet@example.com", "example.com")]
    [InlineData("juliet@example.com", "romeo@example.com")]
    [InlineData("juliet@example.com", "juliet@example.net")]
    [InlineData("example.com/juliet", "juliet@example.com")]
    public void Equals_DifferentJids_AreNotEqual(string left, string right)
    {
        Jid a = Jid.Parse(left);
        Jid b = Jid.Parse(right);

        Assert.False(a.Equals(b));
        Assert.False(a == b);
        Assert.True(a != b);
    }

    [Fact]
    public void Equals_NullAndOtherTypes_HandledWithoutThrowing()
    {
        Jid jid = Jid.Parse("juliet@example.com");
        Jid? none = null;

        Assert.False(jid.Equals(null));
        Assert.False(jid.Equals((object)"juliet@example.com"));
        Assert.False(jid == none);
        Assert.False(none == jid);
        Assert.True(none == null);
    }

    [Fact]
    public void Bare_FullJid_DropsResourceAndIsCached()
    {
        Jid full = Jid.Parse("juliet@example.com/balcony");

        Jid bare = full.Bare;

        Assert.Equal(Jid.Parse("juliet@example.com"), bare);
        Assert.True(bare.IsBare);
        Assert.Null(bare.Resource);
        Assert.Same(bare, full.Bare);
        Assert.Same(bare, bare.Bare);
    }

    [Fact]
    public void Bare_BareJid_ReturnsSameInstance()
    {
        Jid jid = Jid.Parse("example.com");

        Assert.Same(jid, jid.Bare);
    }

    [Fact]
    public void WithResource_ValidResource_ReplacesResourceAndEnforcesIt()
    {
        Jid jid = Jid.Parse("juliet@example.com/balcony");

        Jid moved = jid.WithResource("Caf\u0065\u0301/@2");

        Assert.Equal("Caf\u00E9/@2", moved.Resource);
        Assert.Equal("juliet@example.com/Caf\u00E9/@2", moved.ToString());
        Assert.Equal("balcony", jid.Resource);
        Assert.Equal(jid.Bare, moved.Bare);
        Assert.Same(jid, jid.WithResource("balcony"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("a\u0000")]
    public void WithResource_InvalidResource_ThrowsForResource(string resource)
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse("juliet@example.com").WithResource(resource));

        Assert.Equal(JidPart.Resource, ex.Part);
    }

    [Fact]
    public void WithResource_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => Jid.Parse("example.com").WithResource(null!));

    [Fact]
    public void Create_ValidParts_EnforcesEachPart()
    {
        Jid jid = Jid.Create("Juliet", "Example.COM.", "Balcony");

        Assert.Equal(Jid.Parse("juliet@example.com/Balcony"), jid);
        Assert.Equal(Jid.Parse("example.com"), Jid.Create(null, "example.com"));
    }

    [Theory]
    [InlineData('"')]
    [InlineData('&')]
    [InlineData('\'')]
    [InlineData('/')]
    [InlineData(':')]
    [InlineData('<')]
    [InlineData('>')]
    [InlineData('@')]
    public void Create_ForbiddenLocalpartCharacter_Throws(char forbidden)
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Create("ju" + forbidden + "liet", "example.com"));

        Assert.Equal(JidPart.Local, ex.Part);
        Assert.Equal($"JID localpart contains forbidden character '{forbidden}' (RFC 7622 §3.3.1)", ex.Message);
    }

    [Theory]
    [InlineData("", "example.com", null, JidPart.Local)]
    [InlineData("juliet", "", null, JidPart.Domain)]
    [InlineData("juliet", "example.com/foo", null, JidPart.Domain)]
    [InlineData(null, "juliet@example.com", null, JidPart.Domain)]
    [InlineData("juliet", "example.com", "", JidPart.Resource)]
    public void Create_InvalidPart_ThrowsForThatPart(string? local, string domain, string? resource, JidPart part)
    {
        Assert.Equal(part, Assert.Throws<JidFormatException>(() => Jid.Create(local, domain, resource)).Part);
    }

    [Fact]
    public void Create_NullDomain_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => Jid.Create("juliet", null!));

    [Theory]
    [InlineData("juliet@example.com", "juliet@example.com")]
    [InlineData("juliet@example.com/foo@bar/baz", "juliet@example.com/foo@bar/baz")]
    [InlineData("example.com/foo", "example.com/foo")]
    [InlineData("EXAMPLE.com.", "example.com")]
    [InlineData("JULIET@\uFF45xample.com/Foo Bar", "juliet@example.com/Foo Bar")]
    [InlineData("\u00C9LISE@B\u00DCCHER.example/R\u0065\u0301", "\u00E9lise@b\u00FCcher.example/R\u00E9")]
    [InlineData("juliet@[2001:DB8::0001]", "juliet@[2001:db8::1]")]
    public void ToString_ParsedJid_IsNormalisedFormThatRoundTrips(string input, string expected)
    {
        Jid jid = Jid.Parse(input);

        string text = jid.ToString();

        Assert.Equal(expected, text);
        Assert.Equal(jid, Jid.Parse(text));
        Assert.Equal(text, Jid.Parse(text).ToString());
        Assert.Equal(text, $"{jid}");
    }

    [Fact]
    public void ToString_AlreadyNormalisedInput_ReturnsInputInstance()
    {
        string input = "juliet@example.com/balcony";

        Assert.Same(input, Jid.Parse(input).ToString());
    }

    [Fact]
    public void TryFormat_DestinationSize_WritesOnlyWhenItFits()
    {
        Jid jid = Jid.Parse("juliet@example.com/balcony");
        Span<char> exact = stackalloc char[26];
        Span<char> small = stackalloc char[25];

        Assert.True(jid.TryFormat(exact, out int written));
        Assert.Equal(26, written);
        Assert.Equal("juliet@example.com/balcony", exact.ToString());
        Assert.False(jid.TryFormat(small, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void IParsable_GenericParse_UsesJidRules()
    {
        Assert.Equal(Jid.Parse("juliet@example.com"), ParseVia<Jid>("Juliet@Example.com"));
        Assert.True(TryParseVia<Jid>("example.com", out Jid? jid));
        Assert.Equal("example.com", jid.Domain);
        Assert.False(TryParseVia<Jid>("@example.com", out _));
    }

    private static T ParseVia<T>(string s) where T : IParsable<T> => T.Parse(s, null);

    private static bool TryParseVia<T>(string s, [MaybeNullWhen(false)] out T result)
        where T : IParsable<T> => T.TryParse(s, null, out result);

    // An ASCII value of exactly `octets` octets that is valid for the part: domains use 62-char labels.
    private static string AsciiPart(JidPart part, int octets)
    {
        if (part != JidPart.Domain)
        {
            return new string('a', octets);
        }

        var labels = new List<string>();
        int remaining = octets;
        while (remaining > 63)
        {
            labels.Add(new string('a', 62));
            remaining -= 63;
        }

        labels.Add(new string('b', remaining));
        return string.Join('.', labels);
    }

    // U+00E9 (optionally as "e" + U+0301) filling exactly `octets` octets once enforced, padded with one 'a' when
    // odd; domains get 31-character labels.
    private static string OctetsOfEAcute(JidPart part, int octets, bool decomposed)
    {
        string e = decomposed ? "e\u0301" : "\u00E9";
        var builder = new System.Text.StringBuilder();
        int used = 0;
        int inLabel = 0;
        while (octets - used >= 2)
        {
            if (part == JidPart.Domain && inLabel == 31 && octets - used >= 3)
            {
                builder.Append('.');
                used++;
                inLabel = 0;
                continue;
            }

            builder.Append(e);
            used += 2;
            inLabel++;
        }

        if (used < octets)
        {
            builder.Append('a');
        }

        return builder.ToString();
    }

    [Fact]
    [Trait("Spec", "RFC 7622 §3.2.2")]
    public void Equals_ALabelAndULabelDomain_EqualWithSameHash()
    {
        var aLabel = Jid.Parse("user@xn--mnchen-3ya.de");
        var uLabel = Jid.Parse("user@m\u00FCnchen.de");

        Assert.Equal(uLabel, aLabel);
        Assert.True(aLabel == uLabel);
        Assert.Equal(uLabel.GetHashCode(), aLabel.GetHashCode());
        Assert.Equal("user@m\u00FCnchen.de", aLabel.ToString());
        Assert.Equal(uLabel, Jid.Create("user", "xn--mnchen-3ya.de"));
        Assert.Equal(uLabel.WithResource("r"), Jid.Parse("user@xn--mnchen-3ya.de/r"));
    }

    [Theory]
    [Trait("Spec", "RFC 5891 §5.4")]
    [InlineData("user@xn--.de")]
    [InlineData("user@xn--a.de")]
    [InlineData("user@xn--mnchen-3yb9.de")]
    [InlineData("user@xn--abc-.de")]
    [InlineData("user@xn--ab$c.de")]
    public void Parse_InvalidALabel_ThrowsJidFormatExceptionForDomain(string input)
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse(input));

        Assert.Equal(JidPart.Domain, ex.Part);
        Assert.False(Jid.TryParse(input, out _));
    }

    // Found by ParserFuzzTests: ICU's normalisation threw ArgumentException on U+FFFE instead of a JidFormatException.
    [Theory]
    [InlineData(JidPart.Local, "a\uFFFE")]
    [InlineData(JidPart.Domain, "\uFFFE\u6DBCz")]
    [InlineData(JidPart.Resource, "r\uFFFEs")]
    [InlineData(JidPart.Local, "a\uFDD0")]
    [InlineData(JidPart.Domain, "ex\uFFFFample.com")]
    [InlineData(JidPart.Resource, "r\uD83F\uDFFE")]
    public void Parse_Noncharacter_ThrowsJidFormatExceptionForThatPart(JidPart part, string value)
    {
        var ex = Assert.Throws<JidFormatException>(() => Jid.Parse(JidWithPart(part, value)));

        Assert.Equal(part, ex.Part);
        Assert.Contains("noncharacter", ex.Message, StringComparison.Ordinal);
    }

    private static string JidWithPart(JidPart part, string value) => part switch
    {
        JidPart.Local => value + "@example.com/r",
        JidPart.Domain => "juliet@" + value + "/r",
        JidPart.Resource => "juliet@example.com/" + value,
        _ => throw new ArgumentOutOfRangeException(nameof(part)),
    };

    private static string? PartOf(Jid jid, JidPart part) => part switch
    {
        JidPart.Local => jid.Local,
        JidPart.Domain => jid.Domain,
        JidPart.Resource => jid.Resource,
        _ => throw new ArgumentOutOfRangeException(nameof(part)),
    };
}
