import EmoMusikCore
import Foundation

/// A quick structural check of a SoundFont 2/3 file before FluidSynth loads it.
///
/// FluidSynth's own loader already refuses broken files, but on this machine a failed load falls
/// through to libinstpatch's DLS loader, which prints glib "CRITICAL" lines to stderr. Checking
/// the RIFF layout first turns the common cases (not a SoundFont, truncated download) into our
/// own error without touching FluidSynth, down to the SoundFont's preset and sample tables.
///
/// [control] Reads the file's chunk headers (a few hundred bytes).
enum SoundfontFile {
    /// Throws `.soundfont` naming `path` if it is unreadable, not `RIFF…sfbk`, or if its chunks do
    /// not fit the file (truncated), or the `INFO`, `sdta` and `pdta` lists or the preset,
    /// instrument and sample tables are missing or not whole records.
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
        let lists = try chunks(from: 12, to: riffEnd)
        let listTypes = lists.filter { $0.id == "LIST" && $0.size >= 4 }
        var named: [String: (offset: UInt64, size: UInt64)] = [:]
        for list in listTypes {
            guard let type = read(at: list.offset + 8, count: 4) else { continue }
            named[fourCC(type[...])] = (list.offset + 12, list.size - 4)
        }
        let missing = ["INFO", "sdta", "pdta"].filter { named[$0] == nil }
        guard missing.isEmpty else { throw fail("the \(missing.joined(separator: ", ")) section is missing") }

        let info = try chunks(from: named["INFO"]!.offset, to: named["INFO"]!.offset + named["INFO"]!.size)
        guard info.contains(where: { $0.id == "ifil" }) else { throw fail("the version chunk 'ifil' is missing") }
        // The preset, instrument and sample tables, with the size of one record of each (SoundFont 2.04 §7).
        let records = [
            "phdr": 38, "pbag": 4, "pmod": 10, "pgen": 4, "inst": 22, "ibag": 4, "imod": 10, "igen": 4, "shdr": 46,
        ]
        let pdta = try chunks(from: named["pdta"]!.offset, to: named["pdta"]!.offset + named["pdta"]!.size)
        for (id, recordSize) in records.sorted(by: { $0.key < $1.key }) {
            guard let chunk = pdta.first(where: { $0.id == id }) else {
                throw fail("the '\(id)' table is missing")
            }
            guard chunk.size % UInt64(recordSize) == 0, chunk.size > 0 || id.hasSuffix("mod") else {
                throw fail("the '\(id)' table has \(chunk.size) bytes, not a whole number of \(recordSize)-byte records")
            }
        }

        /// The chunks laid end to end in `start..<end`; each must fit.
        func chunks(from start: UInt64, to end: UInt64) throws -> [(id: String, offset: UInt64, size: UInt64)] {
            var found: [(id: String, offset: UInt64, size: UInt64)] = []
            var offset = start
            while offset + 8 <= end {
                guard let header = read(at: offset, count: 8) else { break }
                let id = fourCC(header[0..<4])
                let size = uint32(header[4..<8])
                guard offset + 8 + size <= end else {
                    throw fail("chunk '\(id)' at byte \(offset) runs past the end of its section (truncated or corrupt)")
                }
                found.append((id, offset, size))
                offset += 8 + size + (size & 1)
            }
            return found
        }
    }
}
