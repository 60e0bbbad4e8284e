using System.Text;
using Gateway.Xmpp;
using Gateway.Xmpp.Negotiation.Sasl;

namespace Gateway.Tests.Negotiation.Sasl;

[Trait("Tier", "Unit")]
public sealed class PlainMechanismTests
{
    [Theory]
    [InlineData("user", "pencil", "\0user\0pencil")]
    [InlineData("jüliet", "pässwörd", "\0jüliet\0pässwörd")]
    [InlineData("a=b,c", "with space and = and ,", "\0a=b,c\0with space and = and ,")]
    [InlineData("user", "non\u00A0breaking", "\0user\0non breaking")]
    [Trait("Spec", "RFC 4616 §2")]
    public void InitialResponse_Credentials_AreNulAuthcidNulPasswordInUtf8(string username, string password, string expected)
    {
        using var plain = new PlainMechanism(username, password);

        Assert.Equal("PLAIN", plain.Name);
        Assert.Equal(Encoding.UTF8.GetBytes(expected), plain.InitialResponse());
    }

    [Fact]
    public void InitialResponse_CalledTwice_ThrowsInvalidOperation()
    {
        using var plain = new PlainMechanism("user", "pencil");
        plain.InitialResponse();

        Assert.Throws<InvalidOperationException>(() => plain.InitialResponse());
    }

    [Fact]
    public void Respond_AnyChallenge_ThrowsInvalidServerMessage()
    {
        using var plain = new PlainMechanism("user", "pencil");
        plain.InitialResponse();

        var ex = Assert.Throws<SaslFailedException>(() => plain.Respond("anything"u8));

        Assert.Equal(SaslConditions.InvalidServerMessage, ex.Condition);
        Assert.DoesNotContain("pencil", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifySuccess_AfterInitialResponse_Completes()
    {
        using var plain = new PlainMechanism("user", "pencil");
        plain.InitialResponse();

        plain.VerifySuccess([]);

        Assert.Throws<InvalidOperationException>(() => plain.VerifySuccess([]));
    }

    [Fact]
    public void VerifySuccess_BeforeInitialResponse_ThrowsInvalidOperation()
    {
        using var plain = new PlainMechanism("user", "pencil");

        Assert.Throws<InvalidOperationException>(() => plain.VerifySuccess([]));
    }

    [Fact]
    public void InitialResponse_AfterDispose_ThrowsInvalidOperation()
    {
        var plain = new PlainMechanism("user", "pencil");
        plain.Dispose();

        Assert.Throws<InvalidOperationException>(() => plain.InitialResponse());
    }

    [Theory]
    [InlineData("", "pencil")]
    [InlineData("user", "")]
    [InlineData("us\0er", "pencil")]
    [InlineData("user", "pen\0cil")]
    [InlineData("user", "pen\ncil")]
    [Trait("Spec", "RFC 4616 §2")]
    public void Constructor_EmptyOrNulCredentials_ThrowsWithoutEchoingThem(string username, string password)
    {
        var ex = Assert.Throws<ArgumentException>(() => new PlainMechanism(username, password));

        Assert.DoesNotContain("pen", ex.Message, StringComparison.Ordinal);
    }
}
