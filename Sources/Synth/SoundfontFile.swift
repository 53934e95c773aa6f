import EmoMusikCore
import Foundation

/// A quick structural check of a SoundFont 2/3 file before FluidSynth loads it.
///
/// FluidSynth's own loader already refuses broken files, but on this machine a failed load falls
/// through to libinstpatch's DLS loader, which prints glib "CRITICAL" lines to stderr. Checking
/// the RIFF layout first turns the common cases (not a SoundFont, truncated download) into our
/// own error without touching FluidSynth.
///
/// [control] Reads the file's chunk headers (a few hundred bytes).
enum SoundfontFile {
    /// Throws `.soundfont` naming `path` if it is unreadable, not `RIFF…sfbk`, or if its chunks do
    /// not fit the file (truncated) or the `INFO`, `sdta` and `pdta` lists are missing.
    static func checkStructure(_ path: String) throws {
        func fail(_ problem: String) -> EmoMusikError {
            EmoMusikError(
                .soundfont, "'\(path)' is not a usable SoundFont: \(problem)",
                hint: "give a .sf2 or .sf3 file with --soundfont, or " + SoundfontLocator.installHint)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("the file cannot be opened") }
        defer { try? handle.close() }
        let fileSize = (try? handle.seekToEnd()) ?? 0
        func read(at offset: UInt64, count: Int) -> [UInt8]? {
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: count),
                data.count == count
            else { return nil }
            return [UInt8](data)
        }
        func fourCC(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        func uint32(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        guard let header = read(at: 0, count: 12), fourCC(header[0..<4]) == "RIFF", fourCC(header[8..<12]) == "sfbk" else {
            throw fail("no RIFF 'sfbk' header")
        }
        let riffEnd = 8 + uint32(header[4..<8])
        guard riffEnd <= fileSize else {
            throw fail("the file is truncated (\(fileSize) bytes, its header promises \(riffEnd))")
        }
        var lists: Set<String> = []
        var offset: UInt64 = 12
        while offset + 8 <= riffEnd {
            guard let chunk = read(at: offset, count: 12) ?? read(at: offset, count: 8) else { break }
            let size = uint32(chunk[4..<8])
            guard offset + 8 + size <= riffEnd else {
                throw fail("chunk '\(fourCC(chunk[0..<4]))' at byte \(offset) runs past the end of the file")
            }
            if fourCC(chunk[0..<4]) == "LIST", chunk.count == 12 { lists.insert(fourCC(chunk[8..<12])) }
            offset += 8 + size + (size & 1)
        }
        let missing = ["INFO", "sdta", "pdta"].filter { !lists.contains($0) }
        guard missing.isEmpty else { throw fail("the \(missing.joined(separator: ", ")) section is missing") }
    }
}
