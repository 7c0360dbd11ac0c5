using ArtMatch.Inference.Internal;

namespace ArtMatch.Inference.Tests;

/// <summary>The raw C API table: wrong slot indices would call the wrong function, so these exercise several directly.</summary>
public class OrtBindingTests
{
    [Fact]
    public void RuntimeVersion_IsTheInstalled1_30()
    {
        Assert.StartsWith("1.30.", OnnxFeatureExtractor.RuntimeVersion);
    }

    [Fact]
    public void Check_StatusFromCreateStatus_ThrowsWithItsCodeAndMessage()
    {
        var api = OrtApi.Instance;
        nint status = api.NewStatus(2, "slot check"); // ORT_INVALID_ARGUMENT

        var error = Assert.Throws<OnnxRuntimeException>(() => api.Check(status));

        Assert.Equal(2, error.ErrorCode);
        Assert.Equal("slot check", error.Message);
    }

    [Fact]
    public void Check_NullStatus_IsSuccess()
    {
        OrtApi.Instance.Check(0);
    }

    [Fact]
    public void Session_GarbageModelBytes_ThrowsOnnxRuntimeExceptionWithOrtsMessage()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);

        var error = Assert.Throws<OnnxRuntimeException>(() => new OrtSession(garbage, 1));

        // ORT_INVALID_PROTOBUF (7) or ORT_FAIL (1), with ORT's own explanation.
        Assert.Contains(error.ErrorCode, new[] { 1, 7 });
        Assert.Contains("protobuf", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Session_UnpatchedModel_ListsTheUpstreamInputAndOutput()
    {
        using var session = new OrtSession(File.ReadAllBytes(Model.File), 1);

        Assert.Equal(["input"], session.InputNames);
        Assert.Equal(["output"], session.OutputNames);
    }

    [Fact]
    public void Run_UnknownOutputName_ThrowsOnnxRuntimeExceptionNamingIt()
    {
        using var session = new OrtSession(File.ReadAllBytes(Model.File), 1);

        var error = Assert.Throws<OnnxRuntimeException>(() =>
            session.Run("input", Model.Noise(1, 224, 224, 5), [1, 3, 224, 224], ["no-such-output"]));

        Assert.Contains("no-such-output", error.Message);
    }

    [Fact]
    public void Candidates_NativeDirVariable_IsSearchedFirst()
    {
        string? saved = Environment.GetEnvironmentVariable(OrtLibrary.NativeDirVariable);
        try
        {
            Environment.SetEnvironmentVariable(OrtLibrary.NativeDirVariable, "/opt/ort");
            Assert.Equal("/opt/ort/libonnxruntime.so.1", OrtLibrary.Candidates().First());
        }
        finally
        {
            Environment.SetEnvironmentVariable(OrtLibrary.NativeDirVariable, saved);
        }
    }
}
