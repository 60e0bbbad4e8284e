using Gateway.Xmpp.Pool;

namespace Gateway.Api.Events;

/// <summary>
/// Something besides the hub that wants to know, live, that the pool published an event: the server-sent event
/// streams and the webhook deliveries. Each event is already in the event log when it is observed, so an observer may
/// treat it as a wake-up and read the log for the order and the content it must guarantee.
/// </summary>
/// <remarks>
/// <see cref="OnEvent"/> runs on the single loop that drains the pool (see
/// <see cref="Hubs.SessionEventDispatcher"/>): it must never block or wait, only hand the event on (to a bounded
/// queue, a doorbell). An exception it throws is logged and does not reach other observers.
/// </remarks>
public interface ISessionEventObserver
{
    void OnEvent(SessionEvent e);
}
