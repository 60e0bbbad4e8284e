using System.Text.Json.Serialization;

namespace Gateway.Api.Webhooks;

/// <summary>JSON of the webhook store's own columns (event kinds, session ids).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class WebhookJson : JsonSerializerContext;
