namespace Gateway.Api.Persistence;

/// <summary>
/// Log events of the embedded store: 55xx of the API's 5xxx. Event ids and names are a contract. Sessions are named
/// by tenant and session id; never a JID, a password, a body or the stored data.
/// </summary>
internal static partial class PersistenceLog
{
    [LoggerMessage(EventId = 5501, Level = LogLevel.Information, Message = "Gateway store opened at {Path} (schema version {SchemaVersion})")]
    public static partial void StoreOpened(ILogger logger, string path, int schemaVersion);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Information, Message = "Gateway store schema migrated from version {FromVersion} to {ToVersion}")]
    public static partial void SchemaMigrated(ILogger logger, int fromVersion, int toVersion);

    [LoggerMessage(EventId = 5503, Level = LogLevel.Warning, Message = "Store key {KeyId} cannot be unwrapped with this Data Protection key ring: event payloads and outbox stanzas sealed with it cannot be read (check Gateway:Storage:KeysPath)")]
    public static partial void StoreKeyUnreadable(ILogger logger, int keyId);

    [LoggerMessage(EventId = 5504, Level = LogLevel.Information, Message = "Store key {KeyId} created: new event payloads and outbox stanzas are sealed with it")]
    public static partial void StoreKeyCreated(ILogger logger, int keyId);

    [LoggerMessage(EventId = 5510, Level = LogLevel.Warning, Message = "Stored session {Tenant}/{SessionId} cannot be read ({ExceptionType}) and is not restored: corrupt, or written with another Data Protection key ring (check Gateway:Storage:KeysPath)")]
    public static partial void SessionRowUnreadable(ILogger logger, string tenant, string sessionId, string exceptionType);

    [LoggerMessage(EventId = 5511, Level = LogLevel.Warning, Message = "Stored event {EventId} ({Kind}) of session {Tenant}/{SessionId} cannot be decoded ({ExceptionType}) and is skipped")]
    public static partial void EventRowUnreadable(ILogger logger, long eventId, string kind, string tenant, string sessionId, string exceptionType);

    [LoggerMessage(EventId = 5512, Level = LogLevel.Error, Message = "Event {EventId} of session {Tenant}/{SessionId} ({EventType}) cannot be encoded for storage ({ExceptionType}) and is not journaled")]
    public static partial void EventNotStorable(ILogger logger, long eventId, string tenant, string sessionId, string eventType, string exceptionType);

    [LoggerMessage(EventId = 5513, Level = LogLevel.Error, Message = "Outbox entry {StanzaId} of session {Tenant}/{SessionId} cannot be read and is not resent")]
    public static partial void OutboxEntryUnreadable(ILogger logger, string tenant, string sessionId, string stanzaId, Exception exception);

    [LoggerMessage(EventId = 5520, Level = LogLevel.Debug, Message = "Event log trimmed: {ByAge} events older than {OlderThan:o} and {ByCount} beyond {MaxEventsPerSession} per session removed in {ElapsedMilliseconds:0.0} ms")]
    public static partial void Trimmed(ILogger logger, long byAge, DateTimeOffset olderThan, long byCount, int maxEventsPerSession, double elapsedMilliseconds);

    [LoggerMessage(EventId = 5524, Level = LogLevel.Debug, Message = "Event log trimmed to bytes: {Deleted} events of {Sessions} sessions beyond {MaxBytesPerSession} bytes per session removed in {ElapsedMilliseconds:0.0} ms")]
    public static partial void TrimmedToBytes(ILogger logger, long deleted, int sessions, long maxBytesPerSession, double elapsedMilliseconds);

    [LoggerMessage(EventId = 5521, Level = LogLevel.Error, Message = "Trimming the event log failed; next attempt in {TrimInterval} (Gateway:Storage:TrimInterval)")]
    public static partial void TrimFailed(ILogger logger, TimeSpan trimInterval, Exception exception);

    [LoggerMessage(EventId = 5530, Level = LogLevel.Warning, Message = "A stored room of session {Tenant}/{SessionId} cannot be read ({ExceptionType}) and is not entered again: corrupt, or written with another Data Protection key ring")]
    public static partial void RoomRowUnreadable(ILogger logger, string tenant, string sessionId, string exceptionType);
}
