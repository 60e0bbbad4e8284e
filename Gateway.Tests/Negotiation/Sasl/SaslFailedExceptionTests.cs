using Gateway.Xmpp;

namespace Gateway.Tests.Negotiation.Sasl;

[Trait("Tier", "Unit")]
public sealed class SaslFailedExceptionTests
{
    [Theory]
    [InlineData(SaslConditions.Aborted, false, false)]
    [InlineData(SaslConditions.AccountDisabled, false, true)]
    [InlineData(SaslConditions.CredentialsExpired, false, true)]
    [InlineData(SaslConditions.EncryptionRequired, false, false)]
    [InlineData(SaslConditions.IncorrectEncoding, false, false)]
    [InlineData(SaslConditions.InvalidAuthzid, false, false)]
    [InlineData(SaslConditions.InvalidMechanism, false, false)]
    [InlineData(SaslConditions.MalformedRequest, false, false)]
    [InlineData(SaslConditions.MechanismTooWeak, false, false)]
    [InlineData(SaslConditions.NotAuthorized, false, true)]
    [InlineData(SaslConditions.TemporaryAuthFailure, true, false)]
    [InlineData(SaslConditions.NoAcceptableMechanism, false, false)]
    [InlineData(SaslConditions.ServerSignatureMismatch, false, false)]
    [InlineData(SaslConditions.InvalidServerMessage, false, false)]
    [InlineData(SaslConditions.ScramServerError, false, false)]
    [InlineData("some-future-condition", false, false)]
    [Trait("Spec", "RFC 6120 §6.5")]
    public void Classification_ByCondition_IsTransientOnlyForTemporaryAuthFailure(string condition, bool transient, bool credential)
    {
        var ex = new SaslFailedException(condition);

        Assert.Equal(transient, ex.IsTransient);
        Assert.Equal(credential, ex.IsCredentialFailure);
        Assert.IsAssignableFrom<XmppException>(ex);
    }

    [Fact]
    public void Message_WithText_NamesConditionAndText()
    {
        var ex = new SaslFailedException(SaslConditions.NotAuthorized, "Invalid username or password");

        Assert.Equal("SASL authentication failed with 'not-authorized': Invalid username or password", ex.Message);
        Assert.Equal("not-authorized", ex.Condition);
        Assert.Equal("Invalid username or password", ex.Text);
    }

    [Fact]
    public void Message_WithoutText_NamesCondition()
    {
        var ex = new SaslFailedException(SaslConditions.Aborted);

        Assert.Equal("SASL authentication failed with 'aborted'.", ex.Message);
        Assert.Null(ex.Text);
    }

    [Fact]
    public void Constructor_EmptyCondition_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SaslFailedException(""));
    }
}
