import Synchronization

/// The answers of a `parallel` block's requests, kept by each request's task at its index.
///
/// Why not return `(index, Result)` from each child task and collect them from the group: the
/// release build (Swift 6.3.1, `-O`) delivered the second child's tuple with a garbage index
/// (`7287435672404635696` for a block of two), so `effinity scenarios run` from a release build
/// trapped on `parallel_same_idempotency_key`; the debug build was right. Each task storing its
/// own answer under a lock has no such tuple to get wrong.
final class ParallelAnswers: Sendable {
    private let answers: Mutex<[Result<HTTP.Reply, any Error>?]>

    init(count: Int) {
        answers = Mutex(Array(repeating: nil, count: count))
    }

    func keep(_ answer: Result<HTTP.Reply, any Error>, at index: Int) {
        answers.withLock { $0[index] = answer }
    }

    /// Every answer in request order; `missing` stands in for a request whose task kept none.
    func all(missing: (Int) -> Result<HTTP.Reply, any Error>) -> [Result<HTTP.Reply, any Error>] {
        let kept = answers.withLock { $0 }
        return kept.indices.map { kept[$0] ?? missing($0) }
    }
}
