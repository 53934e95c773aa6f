extension Preset {
    /// A commented preset a therapist can copy and edit: every field, explained in plain words,
    /// set to a gentle, valid starting point. `name` goes in as written (quoted).
    public static func template(name: String) -> String {
        """
        # EmoMusik preset: \(name)
        #
        # A preset describes one kind of session: which instruments play, in which key, how fast,
        # where the music should lead the child, and the hard limits it must never cross.
        # Lines starting with # are notes for people; EmoMusik ignores them.
        # Check your changes with:   emomusik preset validate THIS-FILE.yaml
        # See every value it uses:   emomusik preset show THIS-FILE.yaml

        # The name shown in lists (required), and a sentence or two on who and what it is for.
        name: \(PresetValue.quoted(name))
        description: "Describe the child or the goal here, e.g. gentle music to settle after break time."

        # Optional: a different General MIDI soundfont (.sf2) for this preset, next to this file.
        # soundfont: my-soft-piano.sf2

        # The instruments. Each voice takes a General MIDI instrument name (any capitals) or its
        # number 1 to 128 as printed in GM charts (1 = Acoustic Grand Piano, 74 = Flute).
        # register moves a voice: low, middle or high (or a number of octaves, -2 to 2).
        ensemble:
          melody: {instrument: Flute, register: middle}    # the tune
          pad: {instrument: String Ensemble 1}             # soft held chords underneath
          bass: {instrument: Acoustic Bass, register: low} # the low line
          percussion: false                                # drums and shakers: true or false

        # The home key: the note the music keeps coming back to (C, D, Eb, F#, ...), and the modes
        # it may use there. Brighter to darker: lydian, ionian (major), mixolydian, dorian,
        # aeolian (minor), phrygian.
        key: D
        modes: [ionian, dorian, aeolian]

        # The slowest and fastest tempo allowed, in beats per minute (40 to 200).
        tempo: {min: 60, max: 92}

        # Where the music should lead: an emotion (neutral, happiness, sadness, anger, fear,
        # surprise, disgust), or a point: valence from -1 (unpleasant) to 1 (pleasant) and
        # arousal from -1 (very calm) to 1 (very excited), e.g. {valence: 0.3, arousal: -0.4}.
        target: {emotion: neutral}

        # How the music follows and leads the child:
        #   iso-principle  start where the child is, then lead gently toward the target
        #   mirror         follow the child's mood
        #   regulate       calm high excitement, brighten low mood
        #   lullaby        wind down slowly toward sleep
        # Strategies may take options: run 'emomusik plugins list' to see them.
        strategy: {id: iso-principle}

        # How fast the music may lead, in steps of mood per minute (0 to 2; 0.2 is gentle).
        lead: {rate: 0.2}

        # How long the session lasts and how long the music takes to fade out at the end.
        # Write seconds (90 or 90s), minutes (20m) or hours (1h).
        session: {length: 20m, fade: 30s}

        # Hard limits, applied to every note last: nothing can go past them.
        safety:
          max-velocity: 90              # loudest note, 1 to 127 (MIDI velocity; 127 is as hard as possible)
          max-level-dbfs: -12           # loudest output level; 0 is full scale, -12 is comfortably soft
          max-tempo-change-per-bar: 4   # how many beats per minute the tempo may change within a bar
          max-loudness-step: 8          # how much louder or softer one bar may be than the last
          sudden-dynamics: false        # true allows sudden loud or soft moments
          percussion: false             # false means no drums at all, whatever the ensemble says
          dissonance: false             # false keeps the harmony plain and consonant

        """
    }
}
