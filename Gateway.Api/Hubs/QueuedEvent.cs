using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Api.Hubs;

/// <summary>A live event waiting in a subscription's queue, with its hub message and that message's size.</summary>
internal readonly record struct QueuedEvent(SessionEvent Event, SerializedHubMessage Message, int Bytes);
