import StripeEngine
import Synchronization

/// The bodies of reusable GET answers (a retrieve, a list page, a search), kept with the
/// ``RenderStamp`` the account had when they were rendered and given again while it is unchanged.
///
/// Why: such an answer is a function of the request and of the account's stored objects only, and
/// every transaction that writes one of those objects gives the account a new stamp. A repeated
/// `GET /v1/customers?limit=100` read 100 rows, compared each with its parsed copy and assembled
/// the page again (about 60% of its time); a kept answer costs a look at the stamp (no SQL in
/// memory, see ``RenderStamp/current(_:account:latestCommitted:)``). Routes opt in
/// (``APIRouter/Route/reusable``): those whose answers also read other tables (meter event
/// summaries, the account's settings) do not. An answer that read the account's clock (which moves
/// with the wall clock, without any write) is never kept, whatever its route.
///
/// Bounded by count and bytes: past either it starts over. One per emulator (one database).
final class ResponseCache: Sendable {
    struct Key: Hashable, Sendable {
        let account: String
        let version: String
        let path: String
        let query: String
    }

    struct Answer: Sendable {
        let stamp: Int64
        let body: [UInt8]
    }

    private struct State {
        var answers: [Key: Answer] = [:]
        var bytes = 0
        var hits = 0
    }

    let capacity: Int
    let byteLimit: Int
    private let state = Mutex(State())

    init(capacity: Int = 2048, byteLimit: Int = 64 << 20) {
        self.capacity = capacity
        self.byteLimit = byteLimit
    }

    /// The body given for `key` while the account had `stamp`, if it is kept.
    func answer(_ key: Key, stamp: Int64) -> [UInt8]? {
        state.withLock { s -> [UInt8]? in
            guard let kept = s.answers[key], kept.stamp == stamp else { return nil }
            s.hits += 1
            return kept.body
        }
    }

    func keep(_ body: [UInt8], for key: Key, stamp: Int64) {
        // A body larger than a quarter of the budget would push everything else out.
        guard body.count <= byteLimit / 4 else { return }
        state.withLock { s in
            if s.answers.count >= capacity || s.bytes + body.count > byteLimit {
                s.answers.removeAll(keepingCapacity: true)
                s.bytes = 0
            }
            if let old = s.answers.updateValue(Answer(stamp: stamp, body: body), forKey: key) { s.bytes -= old.body.count }
            s.bytes += body.count
        }
    }

    /// How many answers were given from the cache (tests check reuse happens, and only when due).
    var hits: Int { state.withLock { $0.hits } }
}
