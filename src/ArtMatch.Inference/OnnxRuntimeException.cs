namespace ArtMatch.Inference;

/// <summary>An ONNX Runtime call failed; <see cref="ErrorCode"/> is ORT's OrtErrorCode and the message is ORT's own.</summary>
public sealed class OnnxRuntimeException(int errorCode, string message) : Exception(message)
{
    public int ErrorCode { get; } = errorCode;
}
