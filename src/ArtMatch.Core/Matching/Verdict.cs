namespace ArtMatch.Core.Matching;

/// <summary>What an officer is told. "Possible" asks for a human look; only "Match" is an alarm.</summary>
public enum Verdict
{
    NoMatch = 0,
    Possible = 1,
    Match = 2,
}
