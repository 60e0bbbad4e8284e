namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>How a session's rooms wait and check.</summary>
/// <param name="AnswerTimeout">How long an entry, a reflection or a configuration may take.</param>
/// <param name="SelfPingInterval">How often each joined room is self-pinged (XEP-0410).</param>
/// <param name="MaxRooms">How many rooms a session may be in.</param>
internal sealed record RoomOptions(TimeSpan AnswerTimeout, TimeSpan SelfPingInterval, int MaxRooms = 100);
