import Foundation

/// The source of real time, injected so tests and scenarios never depend on the machine's clock.
public protocol WallClock: Sendable {
    /// Unix seconds.
    func now() -> Int
}

/// The machine's clock: the only place the emulator reads real time.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Int { Int(Date().timeIntervalSince1970) }
}

/// A wall clock that stands still, for tests.
public struct FixedWallClock: WallClock {
    public let time: Int
    public init(_ time: Int) { self.time = time }
    public func now() -> Int { time }
}
