using System.Xml.Linq;
using Gateway.Xmpp.Session;
using Gateway.Xmpp.StreamManagement;

namespace Gateway.Tests.Session.Replies;

/// <summary>The writer of a connection's replies and stream-management answers.</summary>
[Trait("Tier", "Unit")]
public sealed class ReplyWriterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static XElement Answer(uint h) => new(StreamManagementState.AnswerName, new XAttribute("h", h));

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task AnswersQueuedOutOfOrder_AnOlderOneIsNotWrittenAfterANewerOne()
    {
        var written = new List<string>();
        var writer = new ReplyWriter(
            16,
            (element, _) =>
            {
                written.Add(element.Name.LocalName + ":" + (string?)element.Attribute("h"));
                return Task.CompletedTask;
            },
            (_, _) => Task.CompletedTask);

        // Computed on two threads (the server's <r/>, the consumer's acknowledgement) and queued in the other order.
        await writer.EnqueueAsync(Answer(105), Token);
        await writer.EnqueueAsync(Answer(100), Token);
        await writer.EnqueueAsync(StreamManagementState.Request(), Token);
        await writer.EnqueueAsync(Answer(105), Token);
        await writer.EnqueueAsync(Answer(110), Token);
        writer.Start(Token);
        await writer.StopAsync();

        Assert.Equal(["a:105", "r:", "a:105", "a:110"], written);
    }
}
