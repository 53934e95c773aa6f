import EmoMusikCore

/// The 128 General MIDI Level 1 melodic instruments, and lookup by name or musician's number.
///
/// Presets count programs as musicians and GM documents do, **1...128**; internally (in
/// ``Voice/program`` and in MIDI files) programs are **0...127**.
public enum GeneralMIDI {
    /// Instrument names in program order: `names[0]` is program 1 (0-based 0), Acoustic Grand Piano.
    public static let names: [String] = [
        // Piano
        "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
        "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
        // Chromatic percussion
        "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
        // Organ
        "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica",
        "Tango Accordion",
        // Guitar
        "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
        "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
        // Bass
        "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
        "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
        // Strings
        "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp",
        "Timpani",
        // Ensemble
        "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
        "Synth Voice", "Orchestra Hit",
        // Brass
        "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1",
        "Synth Brass 2",
        // Reed
        "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet",
        // Pipe
        "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
        // Synth lead
        "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
        "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
        // Synth pad
        "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)",
        "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
        // Synth effects
        "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
        "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
        // Ethnic
        "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
        // Percussive
        "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum",
        "Reverse Cymbal",
        // Sound effects
        "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
        "Gunshot",
    ]

    /// The name of a 0-based program.
    public static func name(ofProgram program: UInt8) -> String { names[Int(program) & 127] }

    /// The 0-based program of an instrument name, case-insensitively and ignoring spaces and
    /// punctuation (`"acoustic grand piano"`, `"Honky Tonk Piano"`, `"pad 2 warm"`).
    public static func program(named name: String) -> UInt8? {
        let key = normalized(name)
        return names.firstIndex { normalized($0) == key }.map { UInt8($0) }
    }

    /// The instrument name closest to a misspelt `name`, or nil when nothing is close.
    ///
    /// Compares the whole name and every run of consecutive words in each instrument name, so
    /// `"Pianno"` finds `"Acoustic Grand Piano"` (via the word "piano", the lowest program that
    /// has it) and `"Flut"` finds `"Flute"`.
    public static func closestName(to name: String) -> String? {
        let query = words(name).joined(separator: " ")
        guard !query.isEmpty else { return nil }
        var best: (score: Int, index: Int)?
        for (index, candidate) in names.enumerated() {
            let parts = words(candidate)
            var score = Int.max
            for start in parts.indices {
                for end in start..<parts.count {
                    score = min(score, editDistance(query, parts[start...end].joined(separator: " ")))
                }
            }
            if best == nil || score < best!.score { best = (score, index) }
        }
        guard let best, best.score <= max(2, query.count / 3) else { return nil }
        return names[best.index]
    }

    /// Lower-case words of letters and digits.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    static func normalized(_ text: String) -> String { words(text).joined() }
}
