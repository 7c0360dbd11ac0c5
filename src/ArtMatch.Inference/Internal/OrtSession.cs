using System.Runtime.InteropServices;
using System.Text;

namespace ArtMatch.Inference.Internal;

/// <summary>A float32 tensor copied out of ORT.</summary>
internal sealed record OrtTensor(long[] Shape, float[] Data);

/// <summary>
/// One ONNX Runtime session over a model held in memory. ORT's Run is thread-safe, so one session
/// serves every thread; each Run pins the caller's input for the call's duration only.
/// </summary>
internal sealed unsafe class OrtSession : IDisposable
{
    private const int LoggingLevelError = 3;
    private const int ElementFloat = 1;
    private const int GraphOptimizationAll = 99;
    private const int ArenaAllocator = 1;
    private const int MemTypeDefault = 0;

    private static readonly Lazy<OrtEnvHandle> Env = new(CreateEnv);

    private readonly OrtApi _api = OrtApi.Instance;
    private readonly OrtSessionHandle _session = new();
    private readonly OrtMemoryInfoHandle _cpu = new();

    public IReadOnlyList<string> InputNames { get; }
    public IReadOnlyList<string> OutputNames { get; }

    public OrtSession(byte[] model, int intraOpThreads)
    {
        using var options = new OrtSessionOptionsHandle();
        nint raw;
        _api.Check(_api.CreateSessionOptions(&raw));
        options.Attach(raw);
        _api.Check(_api.SetIntraOpNumThreads(raw, intraOpThreads));
        _api.Check(_api.SetInterOpNumThreads(raw, 1));
        _api.Check(_api.SetSessionGraphOptimizationLevel(raw, GraphOptimizationAll));
        // The pipeline runs the model at several input sizes in turn; a memory pattern is planned per
        // shape and thrown away when the shape changes: describing a photo took 130 ms with it, 111 without
        // (three interleaved runs each).
        _api.Check(_api.DisableMemPattern(raw));

        try
        {
            fixed (byte* data = model)
            {
                nint session;
                _api.Check(_api.CreateSessionFromArray(Env.Value.DangerousGetHandle(), data, (nuint)model.Length, raw, &session));
                _session.Attach(session);
            }
            nint cpu;
            _api.Check(_api.CreateCpuMemoryInfo(ArenaAllocator, MemTypeDefault, &cpu));
            _cpu.Attach(cpu);
            InputNames = Names(input: true);
            OutputNames = Names(input: false);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string RuntimeVersion => OrtApi.Instance.Version;

    private static OrtEnvHandle CreateEnv()
    {
        var api = OrtApi.Instance;
        var env = new OrtEnvHandle();
        nint raw;
        fixed (byte* id = "artmatch\0"u8)
            api.Check(api.CreateEnv(LoggingLevelError, id, &raw));
        env.Attach(raw);
        return env;
    }

    private List<string> Names(bool input)
    {
        nint allocator;
        _api.Check(_api.GetAllocatorWithDefaultOptions(&allocator));
        nuint count;
        var session = _session.DangerousGetHandle();
        _api.Check(input ? _api.SessionGetInputCount(session, &count) : _api.SessionGetOutputCount(session, &count));
        var names = new List<string>((int)count);
        for (nuint i = 0; i < count; i++)
        {
            byte* name;
            _api.Check(input ? _api.SessionGetInputName(session, i, allocator, &name) : _api.SessionGetOutputName(session, i, allocator, &name));
            try
            {
                names.Add(Marshal.PtrToStringUTF8((nint)name) ?? "");
            }
            finally
            {
                _api.Check(_api.AllocatorFree(allocator, name));
            }
        }
        return names;
    }

    /// <summary>Runs the model on one float32 input and copies out the named float32 outputs.</summary>
    public OrtTensor[] Run(string inputName, ReadOnlySpan<float> input, ReadOnlySpan<long> shape, IReadOnlyList<string> outputNames)
    {
        var names = new List<nint>(outputNames.Count + 1);
        var inputValue = new OrtValueHandle();
        var outputs = new nint[outputNames.Count];
        bool added = false, cpuAdded = false;
        try
        {
            // Keeps both handles alive if another thread disposes the session mid-run.
            _session.DangerousAddRef(ref added);
            _cpu.DangerousAddRef(ref cpuAdded);
            nint inputNamePtr = Utf8(inputName);
            names.Add(inputNamePtr);
            var outputNamePtrs = new nint[outputNames.Count];
            for (int i = 0; i < outputNames.Count; i++)
                names.Add(outputNamePtrs[i] = Utf8(outputNames[i]));

            fixed (float* data = input)
            fixed (long* dims = shape)
            fixed (nint* outputPtr = outputs)
            fixed (nint* outputNamesPtr = outputNamePtrs)
            {
                nint value;
                _api.Check(_api.CreateTensorWithDataAsOrtValue(_cpu.DangerousGetHandle(), data, (nuint)(input.Length * sizeof(float)),
                    dims, (nuint)shape.Length, ElementFloat, &value));
                inputValue.Attach(value);
                _api.Check(_api.Run(_session.DangerousGetHandle(), 0, &inputNamePtr, &value, 1, outputNamesPtr, (nuint)outputNames.Count, outputPtr));
            }

            var result = new OrtTensor[outputs.Length];
            for (int i = 0; i < outputs.Length; i++)
                result[i] = Copy(outputs[i]);
            return result;
        }
        finally
        {
            foreach (var output in outputs)
            {
                if (output != 0)
                    _api.ReleaseValue(output);
            }
            inputValue.Dispose();
            foreach (var name in names)
                Marshal.FreeHGlobal(name);
            if (cpuAdded)
                _cpu.DangerousRelease();
            if (added)
                _session.DangerousRelease();
        }
    }

    private OrtTensor Copy(nint value)
    {
        nint info;
        _api.Check(_api.GetTensorTypeAndShape(value, &info));
        long[] shape;
        nuint elements;
        try
        {
            nuint rank;
            _api.Check(_api.GetDimensionsCount(info, &rank));
            shape = new long[(int)rank];
            fixed (long* dims = shape)
                _api.Check(_api.GetDimensions(info, dims, rank));
            _api.Check(_api.GetTensorShapeElementCount(info, &elements));
        }
        finally
        {
            _api.ReleaseTensorTypeAndShapeInfo(info);
        }
        void* data;
        _api.Check(_api.GetTensorMutableData(value, &data));
        var copy = new float[(int)elements];
        new ReadOnlySpan<float>(data, copy.Length).CopyTo(copy);
        return new OrtTensor(shape, copy);
    }

    private static nint Utf8(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        var pointer = Marshal.AllocHGlobal(length + 1);
        var span = new Span<byte>((void*)pointer, length + 1);
        Encoding.UTF8.GetBytes(text, span);
        span[length] = 0;
        return pointer;
    }

    public void Dispose()
    {
        _session.Dispose();
        _cpu.Dispose();
    }
}
