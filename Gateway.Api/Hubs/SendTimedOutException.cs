namespace Gateway.Api.Hubs;

/// <summary>One write outlasted <see cref="GatewayHubOptions.SendTimeout"/>: the connection is not reading.</summary>
internal sealed class SendTimedOutException() : Exception("A write to the hub connection timed out.");
