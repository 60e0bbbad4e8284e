using System.Buffers.Binary;

namespace Gateway.Xmpp.Avatar;

/// <summary>
/// Recognises PNG and JPEG images by their signatures and reads their pixel size, so an avatar's declared type is
/// the real one and XEP-0084 §4.2's recommended width and height can be given. Pure.
/// </summary>
public static class ImageInspector
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The image's MIME type and size; false when the bytes are neither PNG nor JPEG.</summary>
    public static bool TryInspect(ReadOnlySpan<byte> image, out string type, out int? width, out int? height)
    {
        (type, width, height) = ("", null, null);
        if (image.StartsWith(PngSignature))
        {
            type = Png;

            // PNG §11.2.2: the first chunk is IHDR, its data begins with width and height as big-endian 32-bit numbers.
            if (image.Length >= 24 && image[12..16].SequenceEqual("IHDR"u8))
            {
                width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(image[16..20]), int.MaxValue);
                height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(image[20..24]), int.MaxValue);
            }

            return true;
        }

        if (image.Length >= 3 && image[0] == 0xFF && image[1] == 0xD8 && image[2] == 0xFF)
        {
            type = Jpeg;
            (width, height) = JpegSize(image);
            return true;
        }

        return false;
    }

    /// <summary>ITU T.81 §B.2: walks the marker segments to the first start-of-frame, which holds the height and width.</summary>
    private static (int?, int?) JpegSize(ReadOnlySpan<byte> image)
    {
        var i = 2;
        while (i + 9 < image.Length)
        {
            if (image[i] != 0xFF)
            {
                return (null, null);
            }

            var marker = image[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // markers without a length
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(image[(i + 2)..]);

            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return (BinaryPrimitives.ReadUInt16BigEndian(image[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(image[(i + 5)..]));
            }

            if (marker == 0xDA || length < 2)
            {
                return (null, null); // start of scan before any frame header: give up
            }

            i += 2 + length;
        }

        return (null, null);
    }
}
