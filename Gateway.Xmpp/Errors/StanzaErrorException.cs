namespace Gateway.Xmpp;

/// <summary>The remote entity answered with a stanza error (RFC 6120 §8.3): it said no.</summary>
public sealed class StanzaErrorException : XmppException
{
    public StanzaErrorException(StanzaError error)
        : base(error.ToString())
    {
        Error = error;
    }

    public StanzaError Error { get; }

    /// <summary>RFC 6120 §8.3.2: only a <c>wait</c> error invites a retry.</summary>
    public override bool IsTransient => Error.Type == StanzaErrorType.Wait;
}
