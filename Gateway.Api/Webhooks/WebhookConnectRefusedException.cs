namespace Gateway.Api.Webhooks;

/// <summary>A delivery did not connect: the host's addresses are refused by policy, it does not resolve, or none answered.</summary>
public sealed class WebhookConnectRefusedException : Exception
{
    public WebhookConnectRefusedException()
    {
    }

    public WebhookConnectRefusedException(string message)
        : base(message)
    {
    }

    public WebhookConnectRefusedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
