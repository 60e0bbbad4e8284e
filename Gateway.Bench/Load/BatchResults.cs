using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>
/// Reads the gateway's answer to a batch, <c>{"accepted":…,"refused":…,"results":[{"index":0,"id":"…"},
/// {"index":1,"problem":{"status":429,"code":"outbound-queue-full","retryAfter":1,…}},…]}</c>: what became of each
/// message, from the UTF-8 bytes, without building a document or a string (it runs once per request).
/// </summary>
internal static class BatchResults
{
    /// <summary>The outcome of a message the gateway accepted; any other outcome is the refusal's HTTP status.</summary>
    public const int Accepted = 0;

    /// <summary>
    /// Fills <paramref name="outcomes"/>, one per message of the request, with <see cref="Accepted"/> or the status of
    /// the message's problem, and returns the largest retry hint among the refusals (seconds, null when none has one).
    /// False when the answer is not one result per message (each index once): then nothing can be said of any message.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> json, Span<int> outcomes, out long? retryAfterSeconds)
    {
        retryAfterSeconds = null;
        outcomes.Fill(-1);
        var seen = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("results"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    if (!TryReadItem(ref reader, out var index, out var outcome, out var retryAfter)
                        || (uint)index >= (uint)outcomes.Length
                        || outcomes[index] != -1)
                    {
                        return false;
                    }

                    outcomes[index] = outcome;
                    seen++;
                    if (retryAfter > (retryAfterSeconds ?? -1))
                    {
                        retryAfterSeconds = retryAfter;
                    }
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    return false;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // A value of another type than expected (a string "index"), or a number out of range.
            return false;
        }

        return seen == outcomes.Length;
    }

    /// <summary>One result, the reader on its <c>{</c>; leaves it on the matching <c>}</c>.</summary>
    private static bool TryReadItem(ref Utf8JsonReader reader, out int index, out int outcome, out long? retryAfter)
    {
        index = -1;
        outcome = -1;
        retryAfter = null;
        var accepted = false;
        int? refused = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                index = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                accepted = reader.TokenType == JsonTokenType.String;
            }
            else if (reader.ValueTextEquals("problem"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject || !TryReadProblem(ref reader, out var status, out retryAfter))
                {
                    return false;
                }

                refused = status;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || index < 0 || accepted == refused.HasValue)
        {
            return false; // neither or both: not a result
        }

        outcome = refused ?? Accepted;
        return true;
    }

    /// <summary>A problem's status (500 when it has none) and <c>retryAfter</c>; the reader on its <c>{</c>, left on its <c>}</c>.</summary>
    private static bool TryReadProblem(ref Utf8JsonReader reader, out int status, out long? retryAfter)
    {
        status = 500;
        retryAfter = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("retryAfter"u8))
            {
                reader.Read();
                retryAfter = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && status is >= 100 and <= 599 && status is not (>= 200 and <= 299);
    }
}
