import Synchronization

/// An element that carries the frame at which it takes effect, so a ring of them can be drained
/// "up to" a point on the audio clock.
public protocol SampleStamped {
    var sampleTime: Int64 { get }
}

extension ScheduledEvent: SampleStamped {}

/// A fixed-capacity, preallocated, lock-free single-producer single-consumer ring of plain values
/// (trivially copyable: no references, checked in `init`).
///
/// Threading contract: exactly one thread calls the producer side (``push(_:)``) and exactly one
/// (other or same) thread calls the consumer side (``pop()``, ``pop(upTo:)``, ``peek()``). Either
/// side may read ``count`` (a snapshot). [any] `init` allocates the storage once; nothing allocates,
/// locks or blocks after that, so the consumer may be the audio thread.
///
/// Indices are monotonically increasing counters (wrapping is by masking; capacity is a power of
/// two). The producer publishes a written slot with a releasing store of `tail`; the consumer
/// acquires `tail` before reading the slot and releases `head` after it, so the producer never
/// overwrites a slot still being read.
public final class SPSCRing<Element>: @unchecked Sendable {
    /// The number of elements the ring holds at most (a power of two, at least the requested size).
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Element>
    /// Next slot to read; written by the consumer only.
    private let head = Atomic<Int>(0)
    /// Next slot to write; written by the producer only.
    private let tail = Atomic<Int>(0)

    /// [control] Allocates room for at least `minimumCapacity` elements (rounded up to a power of two).
    public init(minimumCapacity: Int) {
        precondition(minimumCapacity > 0, "an SPSC ring needs a positive capacity")
        // Slots are overwritten and read by copying bits, never deinitialised: plain values only.
        precondition(_isPOD(Element.self), "SPSCRing holds plain (trivially copyable) values only")
        var capacity = 1
        while capacity < minimumCapacity { capacity <<= 1 }
        self.capacity = capacity
        mask = capacity - 1
        storage = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// Elements currently queued (a snapshot; exact only on a quiet ring).
    public var count: Int {
        let t = tail.load(ordering: .acquiring)
        let h = head.load(ordering: .acquiring)
        return t - h
    }

    /// [producer] Appends `element`; returns false, leaving the ring unchanged, when it is full.
    /// Never blocks.
    @inline(__always) @discardableResult
    public func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        guard t - h < capacity else { return false }
        (storage + (t & mask)).initialize(to: element)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// [consumer] The oldest element without removing it, or nil if the ring is empty.
    @inline(__always)
    public func peek() -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h != t else { return nil }
        return storage[h & mask]
    }

    /// [consumer] Removes and returns the oldest element, or nil if the ring is empty.
    @inline(__always)
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h != t else { return nil }
        let element = storage[h & mask]
        head.store(h &+ 1, ordering: .releasing)
        return element
    }
}

extension SPSCRing where Element: SampleStamped {
    /// [consumer] Removes and returns the oldest element if it takes effect before `sampleTime`
    /// (`element.sampleTime < sampleTime`); nil if the ring is empty or the oldest is not yet due.
    ///
    /// The ring is FIFO: the producer pushes in non-decreasing time order. An element pushed late
    /// (its time already passed) is due at once and is applied at the next block.
    @inline(__always)
    public func pop(upTo sampleTime: Int64) -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h != t else { return nil }
        let element = storage[h & mask]
        guard element.sampleTime < sampleTime else { return nil }
        head.store(h &+ 1, ordering: .releasing)
        return element
    }
}
