import Foundation
import Glibc
import Synth

/// The machine's steal time — CPU time the hypervisor gave to other guests while this one wanted
/// it, from `/proc/stat` — read before and after a live benchmark. With the audio thread's own
/// figures it tells a slow audio thread from one that was not running.
struct StealTime {
    /// Steal time of all CPUs together, in seconds (nil if `/proc/stat` has no steal column).
    let seconds: Double?

    init() {
        // `cpu  user nice system idle iowait irq softirq steal …`, in clock ticks.
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }),
              case let fields = line.split(separator: " "), fields.count > 8, let ticks = Double(fields[8])
        else {
            seconds = nil
            return
        }
        seconds = ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// One line for a benchmark: how the audio thread was scheduled during a run of `wallSeconds`
    /// that began at `self`.
    func schedulingSummary(_ stats: LiveEngine.Statistics, worstWakeNanoseconds: Int64?, wallSeconds: Double) -> String {
        var parts = [stats.realTimeScheduling ? "audio thread SCHED_FIFO" : "audio thread at normal priority (no privilege for SCHED_FIFO)"]
        if let waited = stats.runQueueWaitNanoseconds {
            parts.append(String(format: "%.1f ms waiting for a CPU in all", Double(waited) / 1e6))
        }
        if let late = worstWakeNanoseconds {
            parts.append(String(format: "worst wake-up %.2f ms after its time", Double(late) / 1e6))
        }
        if let before = seconds, let after = StealTime().seconds {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            parts.append(String(format: "the hypervisor took %.1f s of CPU from this machine (steal; %.2f %% of %d cores)",
                                after - before, (after - before) / wallSeconds / Double(cores) * 100, cores))
        }
        return "scheduling: " + parts.joined(separator: "; ")
    }
}
