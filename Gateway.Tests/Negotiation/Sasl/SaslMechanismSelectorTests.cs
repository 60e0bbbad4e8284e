using Gateway.Xmpp;
using Gateway.Xmpp.Negotiation.Sasl;

namespace Gateway.Tests.Negotiation.Sasl;

[Trait("Tier", "Unit")]
public sealed class SaslMechanismSelectorTests
{
    [Theory]
    [InlineData("PLAIN SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-512", "SCRAM-SHA-512")]
    [InlineData("SCRAM-SHA-512 SCRAM-SHA-1", "SCRAM-SHA-512")]
    [InlineData("SCRAM-SHA-1 SCRAM-SHA-256 PLAIN", "SCRAM-SHA-256")]
    [InlineData("PLAIN SCRAM-SHA-1", "SCRAM-SHA-1")]
    [InlineData("DIGEST-MD5 X-OAUTH2 PLAIN", "PLAIN")]
    [InlineData("PLAIN", "PLAIN")]
    [Trait("Spec", "RFC 6120 §6.3.3")]
    public void Select_OverTls_PicksStrongestOffered(string offered, string expected)
    {
        Assert.Equal(expected, SaslMechanismSelector.Select(offered.Split(' '), isEncrypted: true));
    }

    [Theory]
    [InlineData("SCRAM-SHA-512-PLUS SCRAM-SHA-256-PLUS SCRAM-SHA-1", "SCRAM-SHA-1")]
    [InlineData("SCRAM-SHA-256-PLUS SCRAM-SHA-256", "SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-1-PLUS PLAIN", "PLAIN")]
    public void Select_PlusVariants_AreSkipped(string offered, string expected)
    {
        Assert.Equal(expected, SaslMechanismSelector.Select(offered.Split(' '), isEncrypted: true));
    }

    [Fact]
    public void Select_ScramWithoutTls_IsAllowed()
    {
        Assert.Equal("SCRAM-SHA-256", SaslMechanismSelector.Select(["PLAIN", "SCRAM-SHA-256"], isEncrypted: false));
    }

    [Fact]
    [Trait("Spec", "RFC 4616 §5")]
    public void Select_OnlyPlainWithoutTls_ThrowsNoAcceptableMechanism()
    {
        var ex = Assert.Throws<SaslFailedException>(() => SaslMechanismSelector.Select(["PLAIN"], isEncrypted: false));

        Assert.Equal(SaslConditions.NoAcceptableMechanism, ex.Condition);
        Assert.Contains("TLS", ex.Text, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
        Assert.False(ex.IsCredentialFailure);
    }

    [Fact]
    public void Select_OnlyPlainWithoutTlsButExplicitOptIn_PicksPlain()
    {
        Assert.Equal("PLAIN", SaslMechanismSelector.Select(["PLAIN"], isEncrypted: false, allowPlainWithoutTls: true));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Select_PlainDisabled_ThrowsEvenOverTls(bool isEncrypted, bool allowPlainWithoutTls)
    {
        var ex = Assert.Throws<SaslFailedException>(() =>
            SaslMechanismSelector.Select(["PLAIN"], isEncrypted, allowPlain: false, allowPlainWithoutTls));

        Assert.Equal(SaslConditions.NoAcceptableMechanism, ex.Condition);
        Assert.Contains("disabled", ex.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("DIGEST-MD5 X-OAUTH2 EXTERNAL")]
    [InlineData("SCRAM-SHA-512-PLUS")]
    [InlineData("scram-sha-1 plain")]
    public void Select_NothingSupported_ThrowsNoAcceptableMechanism(string offered)
    {
        var names = offered.Length == 0 ? [] : offered.Split(' ');

        var ex = Assert.Throws<SaslFailedException>(() => SaslMechanismSelector.Select(names, isEncrypted: true));

        Assert.Equal(SaslConditions.NoAcceptableMechanism, ex.Condition);
    }

    [Fact]
    public void Select_SurroundingWhitespace_IsIgnored()
    {
        Assert.Equal("SCRAM-SHA-1", SaslMechanismSelector.Select([" SCRAM-SHA-1\n"], isEncrypted: true));
    }

    [Fact]
    public void Select_HostileNames_AreNotEchoedIntoTheMessage()
    {
        string[] offered = ["<script>", "X-" + new string('A', 500), "GSSAPI"];

        var ex = Assert.Throws<SaslFailedException>(() => SaslMechanismSelector.Select(offered, isEncrypted: true));

        Assert.DoesNotContain("<script>", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('A', 30), ex.Message, StringComparison.Ordinal);
        Assert.Contains("GSSAPI", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SCRAM-SHA-512", typeof(ScramClient))]
    [InlineData("SCRAM-SHA-256", typeof(ScramClient))]
    [InlineData("SCRAM-SHA-1", typeof(ScramClient))]
    [InlineData("PLAIN", typeof(PlainMechanism))]
    public void Create_SupportedName_ReturnsThatMechanism(string name, Type expectedType)
    {
        using var mechanism = SaslMechanismSelector.Create(name, "user", "pencil");

        Assert.IsType(expectedType, mechanism);
        Assert.Equal(name, mechanism.Name);
    }

    [Theory]
    [InlineData("SCRAM-SHA-256-PLUS")]
    [InlineData("DIGEST-MD5")]
    [InlineData("plain")]
    public void Create_UnsupportedName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => SaslMechanismSelector.Create(name, "user", "pencil"));
    }

    [Fact]
    public void Create_IterationCap_IsPassedToScram()
    {
        using var mechanism = SaslMechanismSelector.Create("SCRAM-SHA-1", "user", "pencil", maxScramIterations: 100);
        var clientFirst = System.Text.Encoding.ASCII.GetString(mechanism.InitialResponse()!);
        var nonce = clientFirst["n,,n=user,r=".Length..];

        var ex = Assert.Throws<SaslFailedException>(() =>
            mechanism.Respond(System.Text.Encoding.ASCII.GetBytes($"r={nonce}srv,s=QSXCR+Q6sek8bf92,i=101")));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
    }

    [Theory]
    [InlineData(new[] { "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256" }, "SCRAM-SHA-1-PLUS")]
    [InlineData(new[] { "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-512" }, "SCRAM-SHA-256-PLUS")]
    [Trait("Spec", "RFC 5802 §6")]
    public void Select_PlusOfferedAndWeCanBind_PrefersChannelBinding(string[] offered, string expected)
    {
        Assert.Equal(expected, SaslMechanismSelector.Select(offered, isEncrypted: true, canBindChannel: true));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Select_PlusOfferedButWeCannotBind_FallsBackToNextMechanism(bool isEncrypted, bool canBindChannel)
    {
        Assert.Equal("SCRAM-SHA-256", SaslMechanismSelector.Select(["SCRAM-SHA-512-PLUS", "SCRAM-SHA-256", "PLAIN"], isEncrypted, canBindChannel: canBindChannel));
    }

    [Fact]
    public void Create_PlusWithBinding_BindsAndNonPlusWithBindingThrows()
    {
        var binding = ScramChannelBinding.Bind("tls-server-end-point", [1, 2, 3]);
        using var plus = SaslMechanismSelector.Create("SCRAM-SHA-256-PLUS", "user", "pencil", channelBinding: binding);

        Assert.Equal("SCRAM-SHA-256-PLUS", plus.Name);
        Assert.StartsWith("p=tls-server-end-point,,n=user,r=", System.Text.Encoding.ASCII.GetString(plus.InitialResponse()!), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SaslMechanismSelector.Create("SCRAM-SHA-256", "user", "pencil", channelBinding: binding));
    }
}
