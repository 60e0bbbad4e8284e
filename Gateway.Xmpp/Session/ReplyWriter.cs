using System.Threading.Channels;
using System.Xml.Linq;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Writes what the reader must answer — XEP-0198 &lt;a/&gt; and &lt;r/&gt;, roster-push results, IQ answers — on a loop of its
/// own, so the reader never waits on the socket: two peers that both write without reading could fill each other's
/// buffers and stall both directions. Bounded: when the server sends faster than its answers can be written, the
/// reader waits here, which stops it reading (TCP back-pressure) rather than queueing without limit.
/// </summary>
internal sealed class ReplyWriter
{
    private readonly Channel<object> _replies;
    private readonly Func<XElement, CancellationToken, Task> _writeElement;
    private readonly Func<Stanza, CancellationToken, Task> _writeStanza;
    private Task _loop = Task.CompletedTask;

    public ReplyWriter(int capacity, Func<XElement, CancellationToken, Task> writeElement, Func<Stanza, CancellationToken, Task> writeStanza)
    {
        _replies = Channel.CreateBounded<object>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writeElement = writeElement;
        _writeStanza = writeStanza;
    }

    public void Start(CancellationToken cancellationToken) => _loop = Task.Run(() => RunAsync(cancellationToken), CancellationToken.None);

    /// <summary>Queues a nonza (stream-management element); waits only while the queue is full.</summary>
    public ValueTask EnqueueAsync(XElement element, CancellationToken cancellationToken) => Enqueue(element, cancellationToken);

    /// <summary>Queues a stanza (it counts for XEP-0198 when written); waits only while the queue is full.</summary>
    public ValueTask EnqueueAsync(Stanza stanza, CancellationToken cancellationToken) => Enqueue(stanza, cancellationToken);

    /// <summary>Queues without waiting; false when the queue is full or closed (the caller's reply is then dropped).</summary>
    public bool TryEnqueue(XElement element) => _replies.Writer.TryWrite(element);

    /// <summary>Stops taking replies and waits for the loop (which ends when the stream's token is cancelled).</summary>
    public async Task StopAsync()
    {
        _replies.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async ValueTask Enqueue(object reply, CancellationToken cancellationToken)
    {
        try
        {
            await _replies.Writer.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The stream is ending: nothing more is written.
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            uint? lastAnswer = null;
            await foreach (var reply in _replies.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // XEP-0198 §4: an answer's 'h' never goes back. Two answers are computed on different threads (the
                // server's <r/> and the consumer's acknowledgement) and may be queued in the other order; the older
                // one is dropped, the newer already acknowledged more (Prosody closes a stream whose 'h' decreases).
                if (reply is XElement element && element.Name == StreamManagement.StreamManagementState.AnswerName
                    && StreamManagement.StreamManagementState.TryParseHandled(element) is { } h)
                {
                    if (lastAnswer is { } last && unchecked((int)(h - last)) < 0)
                    {
                        continue;
                    }

                    lastAnswer = h;
                }

                try
                {
                    await (reply is Stanza stanza ? _writeStanza(stanza, cancellationToken) : _writeElement((XElement)reply, cancellationToken)).ConfigureAwait(false);
                }
                catch (XmppException)
                {
                    // The stream ended; the reader reports why. Replies left unwritten are answered on no stream.
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
