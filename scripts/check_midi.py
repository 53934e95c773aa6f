#!/usr/bin/env python3
"""Open a Standard MIDI File with mido and print a JSON summary of it.

Usage: scripts/check_midi.py FILE.mid

mido is strict: it refuses bad chunk lengths, data bytes above 127 and invalid key signatures,
so a file that opens here is well formed. The summary (one JSON object on stdout):
  type, ticks_per_beat, length_seconds,
  tracks: [{name, events, notes (note-ons with velocity > 0), note_offs, channels, programs, end_tick}],
  note_count, tempo_events: [[tick, microseconds_per_quarter]], time_signatures: [[tick, "n/d"]],
  key_signatures: [[tick, "Am"]], markers: [[tick, text]]
Exit status 1 with a message on stderr if mido cannot read the file.
"""
import json
import sys

import mido


def summarize(path):
    # EmoMusik writes names and markers as UTF-8; mido's default charset is Latin-1.
    midi = mido.MidiFile(path, charset="utf-8")
    tracks, tempos, meters, keys, markers = [], [], [], [], []
    note_count = 0
    for track in midi.tracks:
        tick = 0
        name, notes, offs, channels, programs = None, 0, 0, set(), []
        for message in track:
            tick += message.time
            if message.type == "track_name" and name is None:
                name = message.name
            elif message.type == "set_tempo":
                tempos.append([tick, message.tempo])
            elif message.type == "time_signature":
                meters.append([tick, f"{message.numerator}/{message.denominator}"])
            elif message.type == "key_signature":
                keys.append([tick, message.key])
            elif message.type == "marker":
                markers.append([tick, message.text])
            elif message.type == "note_on" and message.velocity > 0:
                notes += 1
            elif message.type == "note_off" or message.type == "note_on":
                offs += 1
            elif message.type == "program_change":
                programs.append([tick, message.program])
            if hasattr(message, "channel"):
                channels.add(message.channel)
        note_count += notes
        tracks.append({
            "name": name, "events": len(track), "notes": notes, "note_offs": offs,
            "channels": sorted(channels), "programs": programs, "end_tick": tick,
        })
    return {
        "type": midi.type, "ticks_per_beat": midi.ticks_per_beat, "length_seconds": midi.length,
        "tracks": tracks, "note_count": note_count, "tempo_events": tempos,
        "time_signatures": meters, "key_signatures": keys, "markers": markers,
    }


def main():
    if len(sys.argv) != 2:
        print("usage: check_midi.py FILE.mid", file=sys.stderr)
        return 2
    try:
        summary = summarize(sys.argv[1])
    except Exception as error:  # mido raises OSError, ValueError, EOFError, KeyError for bad files
        print(f"{sys.argv[1]}: mido cannot read the file: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    json.dump(summary, sys.stdout, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
