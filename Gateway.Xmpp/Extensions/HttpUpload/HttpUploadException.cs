namespace Gateway.Xmpp.HttpUpload;

/// <summary>The HTTP side of an upload failed: the slot URL was refused by the address policy, unreachable, or answered with an error.</summary>
public sealed class HttpUploadException(string message, int? statusCode = null, Exception? innerException = null) : XmppException(message, innerException)
{
    /// <summary>The HTTP status the upload service answered, when it answered.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>A network failure or a 5xx may pass; a refused address or a 4xx does not.</summary>
    public override bool IsTransient => StatusCode is null or >= 500;
}

/// <summary>A file is larger than the upload service accepts (its XEP-0363 §3 max-file-size).</summary>
public sealed class UploadTooLargeException(long size, long maxFileSize)
    : XmppException($"The file is {size} bytes; the account's upload service takes at most {maxFileSize} bytes.")
{
    public long Size { get; } = size;

    public long MaxFileSize { get; } = maxFileSize;

    public override bool IsTransient => false;
}
