using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using OrtException = Microsoft.ML.OnnxRuntime.OnnxRuntimeException;

namespace ArtMatch.Inference.Internal;

/// <summary>
/// The ONNX Runtime session(s) over one patched model: a single session for every input size, or,
/// with <see cref="InferenceOptions.SessionPerInputSize"/>, one per height x width made on first use.
/// ORT's Run is thread-safe, so each session serves every thread.
/// </summary>
internal sealed class OrtSessions : IDisposable
{
    private readonly byte[] _model;
    private readonly InferenceOptions _options;
    private readonly InferenceSession _first;
    private readonly ConcurrentDictionary<(int Height, int Width), Lazy<InferenceSession>> _bySize = new();

    public OrtSessions(byte[] model, InferenceOptions options)
    {
        _model = model;
        _options = options;
        _first = Open();
        InputNames = [.. _first.InputMetadata.Keys];
        OutputNames = [.. _first.OutputMetadata.Keys];
    }

    public IReadOnlyList<string> InputNames { get; }

    public IReadOnlyList<string> OutputNames { get; }

    public InferenceSession For(int height, int width) =>
        _options.SessionPerInputSize ? _bySize.GetOrAdd((height, width), _ => new Lazy<InferenceSession>(Open)).Value : _first;

    private InferenceSession Open()
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = _options.IntraOpThreads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = _options.GraphOptimization,
            EnableMemoryPattern = _options.MemoryPattern,
            // Errors arrive as exceptions; ORT's warnings (e.g. unused initialisers) are not for the operator's log.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            return new InferenceSession(_model, options);
        }
        catch (OrtException e)
        {
            throw OnnxRuntimeException.From(e);
        }
    }

    public void Dispose()
    {
        _first.Dispose();
        foreach (var session in _bySize.Values)
        {
            if (session.IsValueCreated)
                session.Value.Dispose();
        }
    }
}
