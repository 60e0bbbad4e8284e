using Gateway.Api.Contracts;
using Gateway.Api.Hubs;

namespace Gateway.Tests.Api.Hubs;

[Trait("Tier", "Unit")]
public sealed class IdempotencyKeyTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("a")]
    [InlineData("order-42:shipped/~!")]
    public void Validate_AbsentOrPrintableAscii_Valid(string? key) => Assert.Null(IdempotencyKeys.Validate(key));

    [Theory]
    [InlineData("")]
    [InlineData("with space")]
    [InlineData("é")]
    [InlineData("del\u007f")]
    [InlineData("nl\n")]
    public void Validate_EmptyOrNotPrintableAscii_Invalid(string key) => Assert.NotNull(IdempotencyKeys.Validate(key));

    [Fact]
    public void Validate_Length128Valid129Invalid()
    {
        Assert.Null(IdempotencyKeys.Validate(new string('k', 128)));
        Assert.NotNull(IdempotencyKeys.Validate(new string('k', 129)));
    }

    [Fact]
    public void HubSendMessage_InvalidKey_NamesTheField()
    {
        var ok = HubRequests.TryCreate(new SendMessageRequest { To = "bob@example.com", Body = "x", IdempotencyKey = "é" }, out _, out _, out _, out var errors);

        Assert.False(ok);
        Assert.True(errors.ContainsKey("idempotencyKey"));
    }
}
