using System.Text.RegularExpressions;

namespace ArtMatch.Inference;

/// <summary>
/// ONNX Runtime refused the model or a run; <see cref="ErrorCode"/> is ORT's OrtErrorCode (0 when
/// ORT's message does not name one) and the message is ORT's own (the ORT exception is the inner one).
/// </summary>
public sealed partial class OnnxRuntimeException(int errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ErrorCode { get; } = errorCode;

    /// <summary>ORT's managed exception keeps its code only in the message: "[ErrorCode:InvalidArgument] ...".</summary>
    internal static OnnxRuntimeException From(Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
    {
        var code = CodePrefix().Match(e.Message);
        int value = code.Success ? Array.IndexOf(CodeNames, code.Groups[1].Value) : -1;
        return new OnnxRuntimeException(Math.Max(0, value), e.Message, e);
    }

    /// <summary>OrtErrorCode's members in order (ORT's managed enum mirroring it is internal).</summary>
    private static readonly string[] CodeNames =
    [
        "Ok", "Fail", "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
        "InvalidProtobuf", "ModelLoaded", "NotImplemented", "InvalidGraph", "ExecutionProviderFailure",
    ];

    [GeneratedRegex(@"^\[ErrorCode:(\w+)\]")]
    private static partial Regex CodePrefix();
}
