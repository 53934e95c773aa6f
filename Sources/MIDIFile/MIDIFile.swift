import EmoMusikCore
import Foundation

/// Reading and writing Standard MIDI Files (SMF, the `.mid` format of the MIDI 1.0 specification).
///
/// Writing produces a type 1 file:
/// - track 0, the conductor track: a track name, the tempo map (FF 51), time signatures (FF 58),
///   key signatures (FF 59, ``Key/midiKeySignature``: the accidentals of the plain major or minor
///   key on the same tonic, so other readers name the right tonic and family; each followed by an FF 01 text event `EmoMusik key: D dorian` so the exact key comes
///   back) and markers (FF 06);
/// - then one track per ``Track``: its name (FF 03), a program change at tick 0, its
///   ``Track/programChanges``, controls and notes (note-on, and note-off 0x80 with velocity 64).
///   At one tick the order is: the initial program change, note-offs, program changes, controls,
///   note-ons, so a repeated note is released before it is struck again.
/// - every track ends (FF 2F) at the score's ``Score/endTick`` (or its last event, if later).
/// No running status is written. Names, markers and texts are written as UTF-8 (plain ASCII text
/// is the same in every reader; mido reads non-ASCII correctly with `charset='utf-8'`, its default
/// being Latin-1).
///
/// Reading accepts type 0 and type 1 files; see ``decode(_:file:)`` for the rules.
public enum StandardMIDIFile {
    /// The prefix of the FF 01 text event that records a key exactly (FF 59 only knows major/minor).
    public static let keyTextPrefix = "EmoMusik key: "
    /// The name written on the conductor track.
    public static let conductorTrackName = "EmoMusik"

    /// Writes `score` to `path` as a type 1 Standard MIDI File.
    /// - Throws: ``EmoMusikError`` `.writeFailed` naming the path.
    public static func write(_ score: Score, to path: String) throws {
        let bytes = encode(score)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EmoMusikError(
                .writeFailed, "cannot write MIDI file '\(path)': \(error.localizedDescription)",
                hint: "check that the directory exists and is writable",
                location: SourceLocation(file: path))
        }
    }

    /// Reads the Standard MIDI File at `path`; see ``decode(_:file:)``.
    /// - Throws: `.fileNotFound` if it cannot be read, `.malformedFile` if it is not a valid file.
    public static func read(path: String) throws -> Score {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmoMusikError(
                .fileNotFound, "cannot read MIDI file '\(path)'", hint: "check the path and permissions",
                location: SourceLocation(file: path))
        }
        return try decode([UInt8](data), file: path)
    }

    /// The variable-length quantity of the SMF specification: 7 bits per byte, most significant
    /// first, the high bit set on all bytes but the last. `value` must be in `0...0x0FFF_FFFF`.
    public static func encodeVariableLength(_ value: Int) -> [UInt8] {
        precondition(value >= 0 && value <= 0x0FFF_FFFF, "a MIDI variable-length quantity holds 0...0x0FFFFFFF, not \(value)")
        var bytes = [UInt8(value & 0x7F)]
        var rest = value >> 7
        while rest > 0 {
            bytes.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
            rest >>= 7
        }
        return bytes
    }
}
